"""A loopback TCP relay that adds network latency: `python -m bench.proxy`.

Every chunk is delayed by half the round-trip time in its direction, and the
first data of a connection waits one more round trip, the time the TCP
handshake would have taken. So a new connection pays the TCP handshake, the
TLS handshake (the proxy terminates nothing) and each request its round trip.
Bandwidth is not limited. It listens on 127.0.0.1 only.
"""

import argparse
import asyncio
import contextlib
import sys
import time

CHUNK = 65536
LOCALHOST = "127.0.0.1"

Item = tuple[float, bytes | None]


async def _read(
    reader: asyncio.StreamReader,
    queue: asyncio.Queue[Item],
    one_way: float,
    not_before: float,
) -> None:
    """Queue each chunk with the time it may leave; None marks the end."""
    try:
        while chunk := await reader.read(CHUNK):
            queue.put_nowait((max(time.monotonic(), not_before) + one_way, chunk))
    except ConnectionError:
        pass
    finally:
        queue.put_nowait((max(time.monotonic(), not_before) + one_way, None))


async def _write(writer: asyncio.StreamWriter, queue: asyncio.Queue[Item]) -> None:
    """Write each chunk when it is due; close the write side at the end."""
    try:
        while True:
            due, chunk = await queue.get()
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if chunk is None:
                break
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except ConnectionError:
        pass


class LatencyProxy:
    """Relays connections from a listening port to a target port, with latency."""

    def __init__(self, target_port: int, rtt: float) -> None:
        """Relay to 127.0.0.1:target_port with `rtt` seconds of round trip."""
        self.target_port = target_port
        self.rtt = rtt
        self.connections = 0

    async def handle(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        """Relay one connection in both directions until both sides end."""
        self.connections += 1
        accepted = time.monotonic()
        one_way = self.rtt / 2
        try:
            server_reader, server_writer = await asyncio.open_connection(
                LOCALHOST, self.target_port
            )
        except OSError:
            client_writer.close()
            return
        upstream: asyncio.Queue[Item] = asyncio.Queue()
        downstream: asyncio.Queue[Item] = asyncio.Queue()
        try:
            await asyncio.gather(
                # The client's first bytes wait for the handshake's round trip.
                _read(client_reader, upstream, one_way, accepted + self.rtt),
                _write(server_writer, upstream),
                _read(server_reader, downstream, one_way, 0.0),
                _write(client_writer, downstream),
            )
        finally:
            for writer in (server_writer, client_writer):
                writer.close()
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()


async def serve(listen_port: int, target_port: int, rtt: float) -> None:
    """Serve until cancelled."""
    proxy = LatencyProxy(target_port, rtt)
    server = await asyncio.start_server(proxy.handle, LOCALHOST, listen_port)
    port = server.sockets[0].getsockname()[1]
    sys.stdout.write(
        f"latency proxy: {LOCALHOST}:{port} -> {LOCALHOST}:{target_port}, "
        f"RTT {rtt * 1000:.0f} ms\n"
    )
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


def main() -> None:
    """Entry point: python -m bench.proxy --listen-port P --target-port T."""
    parser = argparse.ArgumentParser(prog="python -m bench.proxy")
    parser.add_argument("--listen-port", type=int, required=True)
    parser.add_argument("--target-port", type=int, required=True)
    parser.add_argument("--rtt-ms", type=float, default=40.0)
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            serve(arguments.listen_port, arguments.target_port, arguments.rtt_ms / 1000)
        )


if __name__ == "__main__":
    main()
