"""Files the app hands over to be saved, never shown in the browser: one way to answer with them."""

from dataclasses import dataclass

from django.http import HttpResponse

from sharing.sniffing import content_disposition


def attachment(content: bytes, *, content_type: str, file_name: str) -> HttpResponse:
    """A download of ``content`` saved as ``file_name`` (quoted safely), never cached and never sniffed."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition(file_name)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@dataclass(frozen=True)
class Format:
    content_type: str
    extension: str


# Tables for spreadsheets and finance systems: the formats the learning and funding exports offer.
SPREADSHEETS = {
    "xlsx": Format("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "csv": Format("text/csv; charset=utf-8", "csv"),
}
