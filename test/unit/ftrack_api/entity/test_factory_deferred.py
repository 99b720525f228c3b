"""Generated classes build their attributes on first use, through the factory's methods."""

import json
import os

import ftrack_api.attribute
import ftrack_api.entity.factory

SCHEMAS = os.path.join(os.path.dirname(ftrack_api.__file__), os.pardir, "ftrack_local", "data",
                       "query_schemas.json")


def task_schema():
    with open(SCHEMAS, encoding="utf-8") as handle:
        return next(schema for schema in json.load(handle) if schema["id"] == "Task")


class CountingFactory(ftrack_api.entity.factory.StandardFactory):
    def __init__(self):
        super(CountingFactory, self).__init__()
        self.scalars = []

    def create_scalar_attribute(self, class_name, name, mutable, computed, default, data_type):
        self.scalars.append(name)
        return super(CountingFactory, self).create_scalar_attribute(
            class_name, name, mutable, computed, default, data_type)


def test_attributes_are_built_once_on_first_use():
    factory = CountingFactory()
    cls = factory.create(task_schema())
    assert factory.scalars == []
    assert "name" in cls.attributes
    assert type(cls.attributes) is ftrack_api.attribute.Attributes
    built = list(factory.scalars)
    assert "name" in built and "bid" in built
    assert cls.attributes.get("children") is not None
    assert "children" in cls.attributes.collection_names
    assert factory.scalars == built


def test_every_access_path_builds():
    for access in (lambda a: a.keys(), lambda a: len(a), lambda a: list(a), lambda a: a.by_name,
                   lambda a: a.get("name")):
        cls = ftrack_api.entity.factory.StandardFactory().create(task_schema())
        access(cls.attributes)
        assert cls.attributes.get("status") is not None
