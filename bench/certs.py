"""A throw-away certificate authority and server certificate for 127.0.0.1.

Run in the toolchain: `python -m bench.certs DIR` writes ca.pem, server.pem
and server.key into DIR. Clients trust ca.pem (REQUESTS_CA_BUNDLE); nothing
outside the run does. `trustme` makes them valid from 2000 to 3000, so a
certificate made by a process whose clock was moved (scripts/test-calendar)
is still valid for one that reads the real clock.
"""

import argparse
from pathlib import Path

import trustme


def write_certificates(directory: Path) -> None:
    """Create the CA and a server certificate for 127.0.0.1 and localhost."""
    directory.mkdir(parents=True, exist_ok=True)
    authority = trustme.CA(organization_name="Pushover Plus benchmark")
    server = authority.issue_cert("localhost", "127.0.0.1")
    authority.cert_pem.write_to_path(str(directory / "ca.pem"))
    server.cert_chain_pems[0].write_to_path(str(directory / "server.pem"))
    server.private_key_pem.write_to_path(str(directory / "server.key"))


def main() -> None:
    """Entry point: python -m bench.certs DIR."""
    parser = argparse.ArgumentParser(prog="python -m bench.certs")
    parser.add_argument("directory", type=Path)
    write_certificates(parser.parse_args().directory)


if __name__ == "__main__":
    main()
