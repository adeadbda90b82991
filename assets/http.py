"""What the trail records of a request."""


def client_ip(request) -> str | None:
    """The client's address as the server saw it (behind a proxy, configure it to pass the real REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
