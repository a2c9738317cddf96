"""A minimal OpenAI-compatible chat server on 127.0.0.1 for tests: it speaks the real HTTP
protocol (POST /v1/chat/completions, JSON in and out, usage counts) and answers with whatever
text the test planted, so the verifier can be shown to drop the unsupported sentences."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeChatServer:
    def __init__(self, reply: str, *, status: int = 200) -> None:
        self.reply, self.status = reply, status
        self.requests: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                owner.requests.append(
                    {"path": self.path, "payload": payload, "auth": self.headers.get("Authorization")}
                )
                if self.path != "/v1/chat/completions":
                    self.send_error(404)
                    return
                body = json.dumps(
                    {
                        "id": "chatcmpl-test", "object": "chat.completion", "model": payload.get("model"),
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": owner.reply}}],
                        "usage": {"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160},
                    }
                ).encode()  # fmt: skip
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def __enter__(self) -> FakeChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
