"""The sandbox networks for B5, started from a prepared state file and then kept in memory.

``run_sandbox --state-file`` writes the state back after every request (it fingerprints
the whole state to see whether anything changed); with the 110,000 posts B5 needs, that
write-back, not Chorus, would be what B5 measures. This loads the file once and serves
from memory, like ``--state-file ''``.

    DJANGO_SETTINGS_MODULE=bench.settings DEMO_APPS=1 python -m bench.metrics_sandbox --port P --state-file F
"""

import argparse

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state-file", required=True)
    args = parser.parse_args()
    django.setup()
    from sandbox.management.commands.run_sandbox import build_server

    server = build_server({"port": args.port, "state_file": args.state_file})
    server.state.path = None  # loaded; from now on memory only
    server.serve_forever()


if __name__ == "__main__":
    main()
