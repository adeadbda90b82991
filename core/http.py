"""What a request tells (the client's address, for the trail) and how a download is answered."""

from urllib.parse import quote

from django.template.response import TemplateResponse


def client_ip(request) -> str | None:
    """The client's address as the server saw it (behind a proxy, configure it to pass the real REMOTE_ADDR)."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def as_download(response, filename: str, fallback: str):
    """Marks `response` as a file to save, never cached (RFC 6266/5987): the Chinese `filename` for every current
    client, the ASCII `fallback` for old ones."""
    response["Content-Disposition"] = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    response["Cache-Control"] = "no-store"
    return response


def stored_file_problem(request, error, what: str) -> TemplateResponse:
    """The page for a stored file that is missing or no longer matches its recorded hash: never served, explained."""
    context = {"page_title": f"{what}暂时无法提供", "what": what, "problem": error.label}
    response = TemplateResponse(request, "panhuo/stored_file_problem.html", context, status=503)
    response["Cache-Control"] = "no-store"
    return response
