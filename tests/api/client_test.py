"""A client generated from the OpenAPI document (openapi-python-client), used as an HR
script would use it, without a single hand edit: list the rounds, then import a staff list
(a dry run, so the demo company stays as it is). Run by tests/api/run with the generated
package on the path; exits non-zero at the first thing that does not hold."""

import io
import sys

from kundenpuls_client import AuthenticatedClient
from kundenpuls_client.api.employees import import_employees
from kundenpuls_client.api.rounds import list_rounds
from kundenpuls_client.models import ImportReport, RoundView
from kundenpuls_client.types import File

base_url, token = sys.argv[1], sys.argv[2]
client = AuthenticatedClient(base_url=base_url, token=token)

rounds = list_rounds.sync(client=client)
assert isinstance(rounds, list) and rounds, f"the demo company has rounds: {rounds!r}"
assert all(isinstance(r, RoundView) for r in rounds), rounds
states = {r.state.value for r in rounds}
assert states <= {"scheduled", "open", "closed", "cancelled"}, states
print(f"list_rounds: {len(rounds)} rounds, states {sorted(states)}")

staff_list = (
    "E-Mail;Name;Abteilung;Sprache\n"
    "anna.berg@example.com;Anna Berg;Vertrieb;de\n"
    "ben.cole@example.com;Ben Cole;Vertrieb / Nord;en\n"
).encode("utf-8")
report = import_employees.sync(
    client=client,
    body=File(payload=io.BytesIO(staff_list), file_name="staff.csv"),
    dry_run=True,
)
assert isinstance(report, ImportReport), f"an import report: {report!r}"
assert report.dry_run and report.rows == 2 and not report.errors, report.to_dict()
assert report.created == 2, f"two new people, nothing written: {report.to_dict()}"
print(f"import_employees (dry run): {report.to_dict()}")
