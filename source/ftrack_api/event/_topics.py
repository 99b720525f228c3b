"""Topics of the meta events the hub exchanges with the server or queues locally.

The subscription topics are handled by the server and never delivered
(doc/protocol.rst, "Subscriptions"); replies travel like any other event
(doc/protocol.rst, "Replies"); the connection topics only exist in the
hub's own queue of received events.
"""

SUBSCRIBE = "ftrack.meta.subscribe"
UNSUBSCRIBE = "ftrack.meta.unsubscribe"
REPLY = "ftrack.meta.reply"
CONNECTED = "ftrack.meta.connected"
DISCONNECTED = "ftrack.meta.disconnected"
