"""Where the server may send xAPI requests: an LRS endpoint typed in by HR must not make the
server reach its own machine or a private network (unless an operator allows it), and a
redirect from the LRS is never followed."""

import http.server
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from django.urls import reverse

from vakwerk.api import xapi
from vakwerk.api.models import LrsConnection
from vakwerk.audit.services import Actor
from vakwerk.organisations.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


class _Server(http.server.HTTPServer):
    """A loopback server that answers every request with ``status`` (and a ``location``) and
    keeps the paths it was asked for."""

    def __init__(self, status: int, location: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[str] = []
        self.hosts: list[str | None] = []
        self.status = status
        self.location = location


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        self.server.hosts.append(self.headers.get("Host"))
        self.send_response(self.server.status)
        if self.server.location:
            self.send_header("Location", self.server.location)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[Callable[..., _Server]]:
    """Starts loopback servers (the redirect test needs two); stops them afterwards."""
    servers: list[_Server] = []

    def start(status: int = 200, location: str = "") -> _Server:
        server = _Server(status, location)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _endpoint(server: _Server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/xAPI/"


@pytest.mark.parametrize(
    ("endpoint", "address"),
    [
        ("http://127.0.0.1:8000/xAPI/", "127.0.0.1"),
        ("http://localhost/xAPI/", None),  # 127.0.0.1 or ::1, as the machine resolves it
        ("https://10.1.2.3/xAPI/", "10.1.2.3"),
        ("https://192.168.0.10/xAPI/", "192.168.0.10"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254"),  # a cloud's metadata
        ("https://[::1]/xAPI/", "::1"),
        ("https://[fd00::1]/xAPI/", "fd00::1"),
        ("http://0.0.0.0:6379/", "0.0.0.0"),  # noqa: S104 (an address the test refuses)
    ],
)
def test_an_address_on_this_machine_or_in_a_private_network_is_refused(endpoint, address):
    problem = xapi.endpoint_problem(endpoint)
    assert "on this server or in a private network" in problem
    if address is not None:
        assert address in problem


def test_a_public_address_and_a_name_that_does_not_resolve_are_let_through():
    assert xapi.endpoint_problem("https://93.184.215.14/xAPI/") == ""
    # Nothing can be sent to it either; the request says so when it is tried.
    assert xapi.endpoint_problem("https://lrs.invalid/xAPI/") == ""


@pytest.mark.parametrize(
    ("endpoint", "problem"),
    [
        # The resolver keeps the low 16 bits of a port: 65616 would be port 80.
        ("http://169.254.169.254:65616/latest/meta-data/", "port must be a number"),
        ("http://10.1.2.3:0/", "port must be a number"),
        # urllib decodes a percent-encoded host that this check would not.
        ("http://%31%32%37.0.0.1/", "percent sign"),
        ("http://loc%61lhost/", "percent sign"),
        ("http://[fe80::1%25lo]/", "percent sign"),
        # NAT64 maps IPv4 addresses, private ones included, into IPv6.
        ("http://[64:ff9b::a00:1]/", "private network"),
        ("http://[::ffff:127.0.0.1]/", "private network"),
        ("http://2130706433/", "private network"),  # 127.0.0.1 as one number
    ],
)
def test_tricks_that_reach_a_private_address_are_refused(endpoint, problem):
    assert problem in xapi.endpoint_problem(endpoint)


def test_other_schemes_are_refused():
    assert "http:// or https://" in xapi.endpoint_problem("file:///etc/passwd")
    assert "http:// or https://" in xapi.endpoint_problem("gopher://127.0.0.1:6379/")


def test_hr_cannot_store_a_private_address(member_client, organisation):
    client, _user = member_client(organisation, Role.HR)
    response = client.post(
        reverse("xapi:settings"),
        {"endpoint": "http://127.0.0.1:6379/", "key": "k", "secret": "s", "is_enabled": "on"},
    )
    assert response.status_code == 200
    assert "on this server or in a private network" in str(response.context["form"].errors)
    assert not LrsConnection.objects.exists()


def test_nothing_is_sent_to_a_private_address_stored_before(organisation, recorder):
    # Stored while the operator allowed it, or through a name that now resolves elsewhere:
    # the check is made again before each request.
    server = recorder()
    connection = LrsConnection.objects.create(
        organisation=organisation, endpoint=_endpoint(server), key="k", secret="s"
    )
    with pytest.raises(xapi.LrsUnavailableError, match="private network"):
        xapi.lrs_request(connection, "GET", "about")
    result = xapi.lrs_check(connection)
    assert not result.ok
    assert "private network" in result.message
    assert server.requests == []


def test_an_operator_may_allow_a_private_address(settings, organisation, recorder):
    settings.LRS_PRIVATE_ADDRESSES = True
    server = recorder()
    assert xapi.endpoint_problem(_endpoint(server)) == ""
    connection = xapi.lrs_connection_save(
        organisation=organisation,
        actor=Actor(user=None),
        endpoint=_endpoint(server),
        key="k",
        secret="s",
        is_enabled=True,
    )
    assert xapi.lrs_request(connection, "GET", "about").status == 200
    assert server.requests == ["/xAPI/about"]


def test_a_redirect_is_not_followed(settings, organisation, recorder):
    settings.LRS_PRIVATE_ADDRESSES = True  # both servers are on loopback
    elsewhere = recorder()
    lrs = recorder(status=302, location=f"http://127.0.0.1:{elsewhere.server_address[1]}/x")
    connection = LrsConnection.objects.create(
        organisation=organisation, endpoint=_endpoint(lrs), key="k", secret="s"
    )
    reply = xapi.lrs_request(connection, "GET", "statements", query={"limit": "1"})
    assert reply.status == 302
    assert lrs.requests == ["/xAPI/statements?limit=1"]
    assert elsewhere.requests == []
    assert not xapi.lrs_check(connection).ok


def test_the_request_goes_to_the_address_that_was_checked(
    settings, organisation, recorder, monkeypatch
):
    # A name is looked up once, for the check, and the connection goes to that address: a name
    # looked up again could answer differently (a rebinding DNS server). The Host header still
    # names the endpoint.
    settings.LRS_PRIVATE_ADDRESSES = True
    server = recorder()
    port = server.server_address[1]
    real = socket.getaddrinfo
    asked: list[str] = []

    def resolve(host: str, *args: object, **kwargs: object) -> object:
        asked.append(host)
        return real("127.0.0.1" if host == "lrs.test" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    connection = LrsConnection.objects.create(
        organisation=organisation, endpoint=f"http://lrs.test:{port}/xAPI/", key="k", secret="s"
    )
    assert xapi.lrs_request(connection, "GET", "about").status == 200
    assert asked == ["lrs.test"]
    assert server.requests == ["/xAPI/about"]
    assert server.hosts == [f"lrs.test:{port}"]
