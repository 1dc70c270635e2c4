"""Fake platform servers: real HTTP servers on 127.0.0.1 speaking each platform's protocol."""
