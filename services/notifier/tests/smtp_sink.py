#!/usr/bin/env python3
"""A real SMTP server for the notifier's tests (tests/suite/channels.rs), on aiosmtpd==1.4.6.

    python3 smtp_sink.py --port PORT --dir DIR [--reject ADDRESS]... [--tempfail ADDRESS]...

Listens on 127.0.0.1:PORT without TLS or authentication. Each accepted message N (from 1) is
written to DIR as N.eml (the raw DATA) and then N.json (written last, atomically), which holds the
envelope and what Python's own e-mail parser reads from the message:

    {"mail_from": ..., "rcpt_tos": [...], "raw": "...", "headers": {"subject": ..., "from": ...,
     "to": ..., "message-id": ..., "date": ..., "auto-submitted": ...}, "content_type": "multipart/alternative",
     "parts": {"text/plain": "...", "text/html": "..."}}

Header values are decoded (RFC 2047), parts are decoded from their transfer encoding and charset.
RCPT TO an address given with --reject is answered 550, one given with --tempfail 451.
The process runs until it is killed.
"""

import argparse
import email
import email.policy
import itertools
import json
import os
import sys
import threading

try:
    from aiosmtpd.controller import Controller
except ImportError:
    sys.stderr.write("smtp_sink.py needs aiosmtpd: pip install aiosmtpd==1.4.6\n")
    sys.exit(3)


class Sink:
    def __init__(self, directory, reject, tempfail):
        self.directory = directory
        self.reject = {a.lower() for a in reject}
        self.tempfail = {a.lower() for a in tempfail}
        self.counter = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 <%s>: Recipient address rejected: user unknown" % address
        if address.lower() in self.tempfail:
            return "451 4.3.0 <%s>: Temporary failure, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        for part in message.walk():
            if not part.is_multipart():
                parts[part.get_content_type()] = part.get_content()
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "raw": raw.decode("utf-8", errors="replace"),
            "headers": {
                name: str(message[name]) if message[name] is not None else None
                for name in ("subject", "from", "to", "message-id", "date", "auto-submitted")
            },
            "content_type": message.get_content_type(),
            "parts": parts,
        }
        with self.lock:
            n = next(self.counter)
        base = os.path.join(self.directory, str(n))
        with open(base + ".eml", "wb") as f:
            f.write(raw)
        with open(base + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(base + ".json.tmp", base + ".json")
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--reject", action="append", default=[])
    parser.add_argument("--tempfail", action="append", default=[])
    args = parser.parse_args()

    controller = Controller(
        Sink(args.dir, args.reject, args.tempfail), hostname="127.0.0.1", port=args.port
    )
    controller.start()
    print("listening on 127.0.0.1:%d" % args.port, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
