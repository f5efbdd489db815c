"""template.yaml, read the way CloudFormation reads it, for the local stack.

The template is the single source of truth: the local stack and the tests build
tables, buckets, secrets, functions and state machines from it. This module
parses the short-form intrinsics (`!Ref`, `!Sub`, `!GetAtt`, `!If`, ...) and
resolves them against local physical names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"

_SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
}
_FN_TAGS = (
    "Sub",
    "GetAtt",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "Join",
    "Select",
    "Split",
    "FindInMap",
    "Base64",
    "GetAZs",
    "ImportValue",
    "Cidr",
)


class _Loader(yaml.SafeLoader):
    pass


def _construct(tag: str) -> Callable[[yaml.Loader, yaml.Node], Any]:
    def construct(loader: yaml.Loader, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {tag: value}

    return construct


for _short, _long in _SHORT_TAGS.items():
    _Loader.add_constructor(f"!{_short}", _construct(_long))
for _name in _FN_TAGS:
    _Loader.add_constructor(f"!{_name}", _construct(f"Fn::{_name}"))


@functools.cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open() as fh:
        return yaml.load(fh, Loader=_Loader)


@dataclass
class Resolver:
    """Resolves intrinsics given parameter values and resource physical ids/ARNs."""

    template: dict[str, Any]
    parameters: dict[str, str]
    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)
    pseudo: dict[str, str] = field(default_factory=dict)

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.template.get("Conditions", {})[name]))

    def ref(self, name: str) -> Any:
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        raise KeyError(f"!Ref {name}: not a parameter or a created resource")

    def _sub(self, text: str, extra: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in extra:
                return str(self.resolve(extra[name]))
            if "." in name and name.split(".", 1)[0] not in self.pseudo:
                logical, attr = name.split(".", 1)
                return self.attributes[(logical, attr)]
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value if v != {"Ref": "AWS::NoValue"}]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::GetAtt":
                return self.attributes[(arg[0], arg[1])]
            if key == "Fn::Sub":
                if isinstance(arg, list):
                    return self._sub(arg[0], arg[1])
                return self._sub(arg, {})
            if key == "Fn::If":
                name, then, other = arg
                return self.resolve(then if self.condition(name) else other)
            if key == "Fn::Equals":
                return self.resolve(arg[0]) == self.resolve(arg[1])
            if key == "Fn::Not":
                return not self.resolve(arg[0])
            if key == "Fn::And":
                return all(self.resolve(a) for a in arg)
            if key == "Fn::Or":
                return any(self.resolve(a) for a in arg)
            if key == "Fn::Join":
                return arg[0].join(str(self.resolve(v)) for v in arg[1])
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v != "AWS::NoValue"}


def resources_of_type(template: dict[str, Any], *types: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] in types
    }


def parameter_defaults(template: dict[str, Any]) -> dict[str, str]:
    return {
        name: str(spec.get("Default", "")) for name, spec in template.get("Parameters", {}).items()
    }


def function_environment(
    template: dict[str, Any], resource: dict[str, Any], resolver: Resolver
) -> dict[str, str]:
    """Globals' variables overlaid with the function's own, resolved."""
    merged: dict[str, Any] = {}
    globals_env = template.get("Globals", {}).get("Function", {}).get("Environment", {})
    merged.update(globals_env.get("Variables", {}))
    merged.update(resource["Properties"].get("Environment", {}).get("Variables", {}))
    return {key: str(resolver.resolve(value)) for key, value in merged.items()}


def function_setting(template: dict[str, Any], resource: dict[str, Any], name: str) -> Any:
    props = resource["Properties"]
    if name in props:
        return props[name]
    return template.get("Globals", {}).get("Function", {}).get(name)
