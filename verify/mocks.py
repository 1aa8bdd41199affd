"""Faithful mocks of the Pulumi engine and providers.

The SDK's default mock monitor drops `additionalSecretOutputs` and flattens nested secrets in the
inputs it hands to `new_resource`. This monitor keeps the raw registration request, so tests see
exactly which values the program marked secret, and wraps provider-declared secret outputs in the
secret marker as the real engine does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime import mocks as sdk_mocks
from pulumi.runtime.proto import resource_pb2

from verify import canaries
from verify.canaries import Canary

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"


def is_secret_marker(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def unwrap(value: Any) -> Any:
    """Plain values: every secret marker replaced by the value it holds."""
    if is_secret_marker(value):
        return unwrap(value.get("value"))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def is_resource_reference(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == RESOURCE_REF_SIG


# Request fields that are not options: the inputs (see `Registration.inputs`), and the SDK's capture of the
# Python call stack (file URIs and line numbers, no program value), which was most of the conversion's cost.
_NOT_OPTIONS = ("object", "stackTrace")


class Registration:
    """One raw RegisterResource request, as the engine would receive it.

    The request and the provider's response are kept as their protobuf wire bytes and converted on first use,
    so recording costs the evaluation little: the bytes take a fraction of a live message's memory (a live
    request of a catalog app holds 10 KB or more, its bytes under 2 KB), and are dropped once converted.
    """

    def __init__(self, type: str, name: str, urn: str, parent: str, custom: bool,
                 inputs: dict[str, Any] | None = None, options: dict[str, Any] | None = None,
                 outputs: dict[str, Any] | None = None, request: Any = None, response_object: Any = None) -> None:
        self.type = type
        self.name = name
        self.urn = urn
        self.parent = parent
        self.custom = custom
        self._inputs = inputs
        self._options = options
        self._outputs = outputs
        self._request = request  # a RegisterResourceRequest, or its wire bytes
        self._response_object = response_object  # a Struct, or its wire bytes

    def _request_message(self) -> Any:
        """The request, parsed from its bytes each time it is needed (the bytes stay until both halves are
        converted: a parsed message would hold far more memory)."""
        if isinstance(self._request, bytes):
            return resource_pb2.RegisterResourceRequest.FromString(self._request)
        return self._request

    @property
    def inputs(self) -> dict[str, Any]:
        """The raw serialized inputs, secret markers included."""
        if self._inputs is None:
            request = self._request_message()
            self._inputs = _struct_to_python(request.object) if request is not None else {}
            self._release_request()
        return self._inputs

    @property
    def options(self) -> dict[str, Any]:
        """Every other request field: dependencies, provider, protect, ignoreChanges, ..."""
        if self._options is None:
            options: dict[str, Any] = {}
            request = self._request_message()
            if request is not None:
                rest = type(request)()
                rest.CopyFrom(request)
                for name in _NOT_OPTIONS:
                    rest.ClearField(name)
                options = dict(json_format.MessageToDict(rest, preserving_proto_field_name=False))
            self._options = options
            self._release_request()
        return self._options

    @property
    def provider(self) -> str:
        """The `provider` option alone, read without converting the other options."""
        if self._options is not None:
            return str(self._options.get("provider", ""))
        request = self._request_message()
        return str(request.provider) if request is not None else ""

    def unconverted(self) -> bytes | None:
        """The wire bytes of the request and the response while neither the options nor the outputs are
        converted: every string of the registration (its name, inputs, options and outputs, secret markers'
        contents too) is in them verbatim as UTF-8, so a text absent from them is absent from the
        registration. None once either was converted."""
        if isinstance(self._request, bytes) and isinstance(self._response_object, bytes) and self._options is None:
            return self._request + self._response_object
        return None

    def _release_request(self) -> None:
        if self._inputs is not None and self._options is not None:
            self._request = None  # both halves are plain values now: the protobuf's memory goes back

    @property
    def outputs(self) -> dict[str, Any]:
        """What the mock provider returned, with provider-declared secret outputs marked secret."""
        if self._outputs is None:
            response = self._response_object
            if isinstance(response, bytes):
                response = struct_pb2.Struct.FromString(response)
            self._outputs = _struct_to_python(response) if response is not None else {}
            self._response_object = None
        return self._outputs

    def __repr__(self) -> str:
        return f"Registration({self.type} {self.name})"

    @property
    def dependencies(self) -> list[str]:
        return list(self.options.get("dependencies", []))

    @property
    def property_dependencies(self) -> dict[str, list[str]]:
        raw = self.options.get("propertyDependencies", {})
        return {key: list(value.get("urns", [])) for key, value in raw.items()}

    def all_dependencies(self) -> set[str]:
        deps = set(self.dependencies)
        for urns in self.property_dependencies.values():
            deps.update(urns)
        return deps


def _struct_to_python(message: struct_pb2.Struct) -> dict[str, Any]:
    """The same plain values as `json_format.MessageToDict` (numbers stay floats), a third of its cost."""
    return {key: _value_to_python(value) for key, value in message.fields.items()}


def _value_to_python(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "struct_value":
        return {key: _value_to_python(item) for key, item in value.struct_value.fields.items()}
    if kind == "list_value":
        return [_value_to_python(item) for item in value.list_value.values]
    if kind is None or kind == "null_value":
        return None
    return getattr(value, kind)


def _wrap_secret(value: struct_pb2.Value) -> struct_pb2.Value:
    wrapped = struct_pb2.Value()
    wrapped.struct_value.update({SECRET_SIG_KEY: SECRET_SIG})
    wrapped.struct_value.fields["value"].CopyFrom(value)
    return wrapped


class CanaryProviders(sdk_mocks.Mocks):
    """Mock providers. Every value a real provider would generate as a secret is a recorded canary."""

    def __init__(self, prior_outputs: dict[str, dict[str, Any]] | None = None) -> None:
        self.generated: list[Canary] = []
        # Outputs of an earlier evaluation ("type::name" -> outputs), standing in for the stack's state:
        # like the engine, a property in ignoreChanges keeps its old value when the resource exists.
        self.prior_outputs = prior_outputs or {}
        # The registering request's replacement trigger and ignoreChanges, set by the monitor just before it calls
        # new_resource on the same thread. Per thread: the SDK registers resources from several executor threads at
        # once, and a shared attribute let one request's trigger reach another's new_resource (a generated key
        # then got another label, and every connection pinning it changed between two evaluations).
        self._request = threading.local()

    @property
    def replacement_trigger(self) -> str:
        trigger: str = getattr(self._request, "replacement_trigger", "")
        return trigger

    @replacement_trigger.setter
    def replacement_trigger(self, trigger: str) -> None:
        self._request.replacement_trigger = trigger

    @property
    def ignore_changes(self) -> list[str]:
        paths: list[str] = getattr(self._request, "ignore_changes", [])
        return paths

    @ignore_changes.setter
    def ignore_changes(self, paths: list[str]) -> None:
        self._request.ignore_changes = paths

    def _remember(self, canary: Canary) -> Canary:
        self.generated.append(canary)
        return canary

    def new_resource(self, args: sdk_mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        outputs = dict(args.inputs)
        label = f"{args.typ}::{args.name}"
        # A provider regenerates a value when the resource is replaced: keepers or the replacement trigger.
        generation = json.dumps([args.inputs.get("keepers"), self.replacement_trigger], sort_keys=True)
        if generation != json.dumps([None, ""]):
            label += f"@{hashlib.sha256(generation.encode()).hexdigest()[:12]}"
        resource_id = f"{args.name}-id"
        if args.typ == "random:index/randomPassword:RandomPassword":
            length = int(args.inputs.get("length", 32))
            outputs["result"] = self._remember(Canary(label, v := canaries.alnum(label, length), v)).value
            outputs["bcryptHash"] = self._remember(canaries.bcrypt_hash(label + "#bcrypt")).value
        elif args.typ == "random:index/randomBytes:RandomBytes":
            length = int(args.inputs.get("length", 32))
            outputs["base64"] = self._remember(canaries.base64_bytes(label, length)).value
            outputs["hex"] = self._remember(canaries.hex_bytes(label, length)).value
        elif args.typ == "tls:index/privateKey:PrivateKey":
            private = self._remember(canaries.openssh_private_key(label))
            outputs["privateKeyOpenssh"] = private.value
            outputs["privateKeyPem"] = private.value
            outputs["privateKeyPemPkcs8"] = private.value
            outputs["publicKeyOpenssh"] = public_key_for(label)
            outputs["publicKeyFingerprintSha256"] = "SHA256:" + canaries.alnum(label + "#fp", 43, prefix="")
        elif args.typ == "hcloud:index/primaryIp:PrimaryIp":
            outputs["ipAddress"] = "203.0.113.10"
            resource_id = "424242"
        elif args.typ == "hcloud:index/server:Server":
            outputs["ipv4Address"] = "203.0.113.10"
            outputs["ipv6Address"] = "2001:db8::1"
            outputs["status"] = "running"
            resource_id = "515151"
        elif args.typ == "hcloud:index/sshKey:SshKey":
            # A new public key means a new Hetzner SSH key, hence a new id.
            identity = f"{args.name}:{args.inputs.get('publicKey', '')}"
            resource_id = str(int(hashlib.sha256(identity.encode()).hexdigest()[:6], 16))
        elif args.typ == "hcloud:index/firewall:Firewall":
            resource_id = str(int(hashlib.sha256(args.name.encode()).hexdigest()[:6], 16))
        elif args.typ == "command:remote:Command":
            outputs.setdefault("stdout", "")
            outputs.setdefault("stderr", "")
        prior = self.prior_outputs.get(f"{args.typ}::{args.name}")
        if prior is not None:
            for path in self.ignore_changes:
                _copy_path(prior, outputs, _split_path(path))
        return resource_id, outputs

    def call(self, args: sdk_mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        if args.token == "tls:index/getPublicKey:getPublicKey":
            source = str(args.args.get("privateKeyOpenssh") or args.args.get("privateKeyPem") or "")
            return {"publicKeyOpenssh": public_key_for(source or "supplied-private-key"), "id": "public-key"}, []
        if args.token == "cloudflare:index/getZone:getZone":
            # The zone lookup by name: a stable id per name, as Cloudflare's 32-hex zone ids look.
            name = str((args.args.get("filter") or {}).get("name", ""))
            return {"id": hashlib.sha256(name.encode()).hexdigest()[:32], "name": name, "status": "active"}, []
        return {}, []


def _split_path(path: str) -> list[str]:
    return [part for part in re.split(r'\.|\["|"\]', path) if part]


def _copy_path(source: dict[str, Any], target: dict[str, Any], parts: list[str]) -> None:
    for part in parts[:-1]:
        if not isinstance(source.get(part), dict):
            return
        source = source[part]
        target = target.setdefault(part, {}) if isinstance(target.get(part, {}), dict) else {}
    if parts and parts[-1] in source:
        target[parts[-1]] = source[parts[-1]]


def public_key_for(label: str) -> str:
    body = hashlib.sha256(label.encode()).digest()
    return "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI" + canaries.base64_bytes(label, 30).value[:40] + body.hex()[:3]


def without_traceback(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The loops' exception handler: what a stopped program leaves behind (a future whose error nobody
    retrieves) is logged by its finalizer, on whichever thread the collector runs. asyncio's default handler
    formats the traceback, and Python 3.11's traceback formatting calls ast.parse, whose recursion bookkeeping is
    shared by every thread (python/cpython#106905): a parse in another thread at that moment (pytest's, the
    tests') then fails with "AST constructor recursion depth mismatch". The message and the error's type are
    enough here: the program's own error is reported by the evaluation."""
    error = context.get("exception")
    logging.getLogger("asyncio").warning("%s (%s)", context.get("message"), type(error).__name__ if error else "")


class RecordingMonitor(sdk_mocks.MockMonitor):
    """A mock monitor that keeps every raw request and honours additionalSecretOutputs."""

    def __init__(self, providers: CanaryProviders, prior: list[Registration] | None = None) -> None:
        super().__init__(providers)
        self.registrations: list[Registration] = []
        # The engine's view of an earlier run, used for its protect rule: replacing a resource that is
        # protected both in state and in the program fails the update.
        self._prior = {(r.type, r.name): r for r in prior or []}
        self.engine_errors: list[str] = []
        self.stack_outputs: dict[str, Any] = {}
        self.stack_urn = ""
        self.stack_registrations = 0  # exactly one of each in a complete evaluation
        self.stack_output_registrations = 0
        self._thread_loops: dict[int, asyncio.AbstractEventLoop] = {}
        self.invokes: list[tuple[str, Any]] = []  # (token, arguments) of every invoke, in call order
        self._calls_in_flight: dict[int, int] = {}  # thread -> calls of this monitor it is inside
        self._loops_lock = threading.Lock()

    @contextlib.contextmanager
    def _call(self) -> Iterator[None]:
        """Marks the calling thread busy: its loop is not closed under it (a failed program ends the evaluation
        while executor threads may still be inside a call)."""
        thread = threading.get_ident()
        with self._loops_lock:
            self._remember_thread_loop()
            self._calls_in_flight[thread] = self._calls_in_flight.get(thread, 0) + 1
        try:
            yield
        finally:
            with self._loops_lock:
                self._calls_in_flight[thread] -= 1

    def _remember_thread_loop(self) -> None:
        # The SDK gives each executor thread its own event loop. This monitor closes them after each
        # evaluation (left to the garbage collector they fail noisily at interpreter exit), so a thread
        # reused by the next evaluation gets a fresh loop here.
        if threading.current_thread() is threading.main_thread():
            return
        try:
            loop = asyncio.get_event_loop_policy().get_event_loop()
        except RuntimeError:
            loop = None
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
        loop.set_exception_handler(without_traceback)
        self._thread_loops[threading.get_ident()] = loop

    def close_thread_loops(self) -> None:
        """Closes the loop of every thread that is not inside a call; a busy thread keeps its loop, which the
        garbage collector closes once the thread is done with it."""
        with self._loops_lock:
            for thread, loop in list(self._thread_loops.items()):
                if self._calls_in_flight.get(thread, 0) or loop.is_running():
                    continue
                if not loop.is_closed():
                    loop.close()
                del self._thread_loops[thread]

    def RegisterResource(self, request: Any) -> Any:
        with self._call():
            return self._register_resource(request)

    def _register_resource(self, request: Any) -> Any:
        providers = self.mocks
        assert isinstance(providers, CanaryProviders)
        providers.replacement_trigger = json_format.MessageToJson(request.replacement_trigger) \
            if request.HasField("replacement_trigger") else ""
        providers.ignore_changes = list(request.ignoreChanges)
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = response.urn
            self.stack_registrations += 1
            return response
        secret_outputs = set(request.additionalSecretOutputs)
        if secret_outputs:
            for key in secret_outputs:
                if key in response.object.fields:
                    wrapped = _wrap_secret(response.object.fields[key])
                    response.object.fields[key].CopyFrom(wrapped)
        # The SDK reads nothing of its request once the call returns (`do_register` in pulumi/runtime/resource.py):
        # its call stack, which no check reads, is dropped before the request is kept as bytes.
        request.ClearField("stackTrace")
        registration = Registration(
            type=request.type, name=request.name, urn=response.urn, parent=request.parent,
            custom=bool(request.custom), request=request.SerializeToString(),
            response_object=response.object.SerializeToString())
        self._check_protected_replacement(registration)
        self.registrations.append(registration)
        return resource_pb2.RegisterResourceResponse(urn=response.urn, id=response.id, object=response.object)

    def _check_protected_replacement(self, registration: Registration) -> None:
        old = self._prior.get((registration.type, registration.name))
        if old is None or not (old.options.get("protect") and registration.options.get("protect")):
            return
        replaced = old.options.get("replacementTrigger") != registration.options.get("replacementTrigger")
        # Every input of a pulumi-random resource forces a replacement (keepers above all).
        if registration.type.startswith("random:"):
            replaced = replaced or unwrap(old.inputs) != unwrap(registration.inputs)
        if replaced:
            self.engine_errors.append(
                f'unable to replace resource "{registration.urn}"\nas it is currently marked for protection. '
                "To unprotect the resource, remove the `protect` flag from the resource in your Pulumi "
                "program and run `pulumi up`")

    def Invoke(self, request: Any) -> Any:
        with self._call():
            # Kept for the leak scan: the SDK sends invoke arguments without their secret markers, so a secret
            # passed to an invoke crosses to the engine (and its logs) in plain text.
            self.invokes.append((request.tok, json_format.MessageToDict(request.args)))
            return super().Invoke(request)  # type: ignore[no-untyped-call]

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if request.urn == self.stack_urn:
            self.stack_outputs = _struct_to_python(request.outputs)
            self.stack_output_registrations += 1
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]
