"""Transports: how a session's batches of operations reach a server.

A :class:`~ftrack_api.session.Session` hands every request to one transport
object, built from :attr:`Session.transport_class
<ftrack_api.session.Session.transport_class>`. A transport takes the JSON text
of a batch (a list of operations, see (doc/protocol.rst, "Requests")) and
gives back the JSON text of the answer (doc/protocol.rst, "Answers"); it
turns failures, including the server's error envelopes (doc/protocol.rst,
"Errors"), into :mod:`ftrack_api.exception` errors. Decoding the answer into
entities stays with the session.

:class:`HttpTransport`, the default, posts to ``<server>/api`` with
:mod:`requests`. A subclass of :class:`Transport` may answer from anywhere
else: a recording, another protocol, a test double.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Mapping, Optional, Sequence, Union

import requests
import requests.auth
import requests.cookies
import requests.utils

import ftrack_api.exception

#: What :meth:`Transport.send` accepts: JSON text, or operations to encode.
Payload = Union[str, bytes, Sequence[Mapping[str, Any]]]

logger = logging.getLogger(__name__)


class SessionAuthentication(requests.auth.AuthBase):
    """Adds the ftrack credential headers to each request."""

    def __init__(self, api_key: str, api_user: str) -> None:
        """Send *api_key* as the key of user *api_user*."""
        self.api_key = api_key
        self.api_user = api_user
        super(SessionAuthentication, self).__init__()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Return *request* with the credential headers set."""
        request.headers.update(
            {"ftrack-api-key": self.api_key, "ftrack-user": self.api_user}
        )
        return request


def cookie_values(cookies: Any) -> dict:
    """Return *cookies* (a mapping or a cookie jar, or None) as a plain dict."""
    if not cookies:
        return {}
    jar = requests.cookies.merge_cookies(requests.cookies.RequestsCookieJar(), cookies)
    return requests.utils.dict_from_cookiejar(jar)


def unexpected_answer_error(content: bytes) -> ftrack_api.exception.ServerError:
    """Return the error for an answer *content* that is not valid JSON."""
    return _logged_error(
        "Server reported error in unexpected format. Raw error was: "
        "{0}".format(content.decode("utf-8", "replace"))
    )


def _logged_error(message: str) -> ftrack_api.exception.ServerError:
    logger.error(message)
    return ftrack_api.exception.ServerError(message)


class Transport(object):
    """Carries batches of operations to a server and brings back the answers.

    The session builds its transport with its connection settings; a
    subclass implements :meth:`send` (and :meth:`close` when it holds
    resources).
    """

    def __init__(
        self,
        server_url: str,
        api_user: str,
        api_key: str,
        timeout: Optional[float] = 60,
        headers: Optional[Mapping[str, str]] = None,
        cookies: Any = None,
        strict_api: bool = False,
    ) -> None:
        """Keep the connection settings.

        *server_url* is the server's address without trailing slashes,
        *api_user* and *api_key* the credentials, *timeout* the seconds to
        wait for each answer, *headers* and *cookies* extra values for every
        request and *strict_api* whether the server reports errors with
        HTTP error statuses (doc/protocol.rst, "Errors").
        """
        self.server_url = server_url.rstrip("/")
        self.api_user = api_user
        self.api_key = api_key
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.cookies = cookie_values(cookies)
        self.strict_api = strict_api

    def send(self, payload: Payload) -> bytes:
        """Deliver the batch *payload*; return the answer's JSON text.

        *payload* is the JSON text of a list of operations, as text or
        UTF-8 bytes, or a list of operations holding plain JSON values. The
        answer is a JSON array with one result per operation. A failed
        batch raises :exc:`~ftrack_api.exception.ServerError` (or a subclass).
        """
        raise NotImplementedError()

    @staticmethod
    def body_of(payload: Payload) -> bytes:
        """The UTF-8 JSON text of *payload*, whichever form :meth:`send` was given."""
        if isinstance(payload, bytes):
            return payload
        if not isinstance(payload, str):
            payload = json.dumps(list(payload))
        return payload.encode("utf-8")

    def close(self) -> None:
        """Release what the transport holds; it sends nothing afterwards."""


class HttpTransport(Transport):
    """Posts batches to ``<server>/api`` with a :class:`requests.Session`.

    Credentials, headers, cookies and the proxy and certificate settings of
    the environment are set on that session (:attr:`http`) once.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Prepare the HTTP session (the arguments are those of :class:`Transport`)."""
        super(HttpTransport, self).__init__(*args, **kwargs)
        self._http: Optional[requests.Session] = self._http_session()

    @property
    def http(self) -> requests.Session:
        """The :class:`requests.Session` sending the requests.

        Raise :exc:`~ftrack_api.exception.ConnectionClosedError` after
        :meth:`close`.
        """
        if self._http is None:
            raise ftrack_api.exception.ConnectionClosedError()
        return self._http

    @http.setter
    def http(self, value: Optional[requests.Session]) -> None:
        """Send the requests with *value* from now on."""
        self._http = value

    def _http_session(self) -> requests.Session:
        """A requests session sending the settings of this transport (doc/protocol.rst, "Requests")."""
        http = requests.Session()
        http.auth = SessionAuthentication(self.api_key, self.api_user)
        http.headers.update({
            "content-type": "application/json",
            "accept": "application/json",
            "ftrack-strict-api": "true" if self.strict_api else "false",
        })
        http.headers.update(self.headers)
        http.cookies.update(self.cookies)
        _settle_environment(http, self.server_url)
        return http

    def send(self, payload: Payload) -> bytes:
        """Post *payload* and return the answer's JSON text (see :meth:`Transport.send`).

        Raise :exc:`~ftrack_api.exception.ServerTimeoutError` when the server
        does not answer in :attr:`timeout` seconds,
        :exc:`~ftrack_api.exception.ServerConnectionError` when it cannot be
        reached and :exc:`~ftrack_api.exception.ConnectionClosedError` after
        :meth:`close`.
        """
        http = self.http
        try:
            response = http.post(self.server_url + "/api", data=self.body_of(payload), timeout=self.timeout)
        except requests.exceptions.Timeout as error:
            raise ftrack_api.exception.ServerTimeoutError(
                "The ftrack server at {0} did not answer within {1} seconds: "
                "{2}".format(self.server_url, self.timeout, error)
            ) from error
        except requests.exceptions.ConnectionError as error:
            raise ftrack_api.exception.ServerConnectionError(
                "Could not reach the ftrack server at {0}: {1}".format(
                    self.server_url, error
                )
            ) from error
        return checked_answer(response)

    def close(self) -> None:
        """Close the HTTP session's connections."""
        http, self._http = self._http, None
        if http is not None:
            try:
                http.close()
            except Exception:  # pragma: no cover - defensive.
                pass


def checked_answer(response: requests.Response) -> bytes:
    """Return the body of *response* when it is an answer, else raise.

    An array answered with a success status is returned as it is, without
    being parsed. An error envelope (doc/protocol.rst, "Errors") or an error
    status raises :exc:`~ftrack_api.exception.ServerError`; a body that is
    not JSON too, unless the status is an error (then its
    :exc:`ValueError` is raised).
    """
    content = response.content
    status = response.status_code
    if status < 400 and content[:1] == b"[":
        return content
    try:
        result = json.loads(content)
    except ValueError as error:
        if status >= 400:
            raise
        raise unexpected_answer_error(content) from error
    if isinstance(result, dict) and "exception" in result:
        raise _logged_error(
            "Server reported error: {0}({1})".format(result["exception"], result["content"])
        )
    if status >= 400:
        try:
            response.raise_for_status()
        except requests.exceptions.HTTPError as error:
            raise _logged_error(str(error)) from error
    return content


def _settle_environment(http: requests.Session, server_url: str) -> None:
    """Read proxy and certificate settings from the environment once.

    *http* then sends every request with them instead of consulting the
    environment again for each one (which costs CPU on every call).
    """
    settings = http.merge_environment_settings(server_url, {}, None, None, None)
    http.proxies.update(settings.get("proxies") or {})
    verify = settings.get("verify")
    if verify is not None:
        http.verify = verify
    http.trust_env = False
