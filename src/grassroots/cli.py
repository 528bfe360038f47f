"""The `grassroots` console script: demo, serve, audit, solve, governance, simulate, OCDS export and import,
and Django's commands."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Sequence


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.settings")
    import django
    from django.conf import settings

    django.setup()
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        from pathlib import Path

        Path(settings.DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)


def reader_language() -> str:
    """The language of a report printed for a person: GRASSROOTS_LANGUAGE, else the locale (LC_ALL,
    LC_MESSAGES, LANG): Chinese for zh*, English otherwise."""
    for name in ("GRASSROOTS_LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "").strip().lower()
        if value:
            return "zh-hans" if value.startswith("zh") else "en"
    return "en"


def _migrate(verbosity: int = 0) -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)
    call_command("compilemessages_if_possible", verbosity=0)


def cmd_demo(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import call_command

    from grassroots import demo

    _migrate()
    if args.reset:
        call_command("flush", interactive=False, verbosity=0)
    if demo.is_loaded():
        print("The S Street demo is already loaded (use --reset to build it again).")
    else:
        print(f"Building the S Street, W City demo (seed {args.seed})…")
        demo.build(seed=args.seed, progress=print)
    demo.print_logins()
    if args.no_serve:
        return 0
    return _serve(args.addr)


def _serve(addr: str) -> int:
    from django.core.management import call_command

    print(f"Serving Grassroots at http://{addr}/  (Ctrl-C to stop)")
    call_command("runserver", addr, use_reloader=False, use_threading=True)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    _setup()
    _migrate()
    return _serve(args.addr)


def cmd_audit(args: argparse.Namespace) -> int:
    _setup()
    from grassroots.core.audit import verify

    result = verify()
    if result.ok:
        print(f"audit chain intact: {result.checked} events verified")
        return 0
    print(f"audit chain broken: {result.problem} ({result.checked} events verified before it)")
    return 1


def cmd_solve(args: argparse.Namespace) -> int:
    """Run a solver on a plain JSON file (format: ../shared/contracts/solvers.md).

    Exit 0 with a result, 2 for input that does not fit the format, 3 when no solution exists.
    """
    import json

    from grassroots.awards import allocation
    from grassroots.core.formats import FormatError
    from grassroots.review import assignment

    solve_file = assignment.solve_file if args.problem == "assign" else allocation.solve_file
    try:
        with open(args.input, encoding="utf-8") as handle:
            data = json.load(handle)
        result = solve_file(data)
    except OSError as exc:
        print(f"cannot read {args.input}: {exc.strerror}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as exc:
        print(f"{args.input} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", file=sys.stderr)
        return 2
    except FormatError as exc:
        print(f"{args.input}: {exc}", file=sys.stderr)
        return 2
    except assignment.Infeasible as exc:
        print(f"no feasible assignment: {exc}", file=sys.stderr)
        return 3
    text = json.dumps(result, ensure_ascii=False, indent=2)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    else:
        print(text)
    return 0


def cmd_import_records(args: argparse.Namespace) -> int:
    """Import service records or expenditures of a contract from an .xlsx or CSV file.

    Exit 0 when every row was imported, 2 (nothing imported) with every row error listed otherwise.
    """
    _setup()
    from django.contrib.auth import get_user_model

    from grassroots.contracts.models import Contract
    from grassroots.core.errors import Forbidden, RuleViolation
    from grassroots.delivery import services
    from grassroots.delivery.imports import ImportRefused

    user = get_user_model().objects.filter(username=args.as_user).first()
    contract = Contract.objects.filter(number=args.contract).first()
    if user is None or contract is None:
        missing = f"no user {args.as_user!r}" if user is None else f"no contract {args.contract!r}"
        print(missing, file=sys.stderr)
        return 2
    try:
        with open(args.file, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2

    def progress(stage: str, done: int, total: int) -> None:
        if total >= 5000:
            print(f"  {stage} {done}/{total} rows", file=sys.stderr, flush=True)

    run = services.import_service_records if args.kind == "records" else services.import_expenditures
    try:
        count = run(user, contract, data, os.path.basename(args.file), progress=progress)
    except ImportRefused as exc:
        print(exc.text, file=sys.stderr)
        return 2
    except (Forbidden, RuleViolation) as exc:
        print("; ".join(getattr(exc, "messages", [str(exc)])), file=sys.stderr)
        return 2
    print(f"imported {count} {args.kind} into contract {contract.number} from {args.file}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run a policy scenario (or a sweep over it) on synthetic agents; write metrics.csv, summaries and plots.

    Exit 0 with the outputs written, 2 with the reasons on stderr for parameters or files that do not fit.
    """
    from pathlib import Path

    from grassroots.simulation import params, runner
    from grassroots.simulation.clusters import ClusterError

    if args.list:
        for name in params.shipped():
            print(f"{name}: {params.load(name).description}")
        return 0
    if not args.scenario or not args.out:
        print("--scenario and --out are needed (or --list)", file=sys.stderr)
        return 2
    try:
        scenario = params.load(args.scenario)
        if args.set:
            changed = params.validate({**scenario.params, **runner.parse_settings(args.set)})
            scenario = dataclasses.replace(scenario, params=changed)
        sweep = runner.load_sweep_file(args.sweep_file) if args.sweep_file else {}
        sweep.update(runner.parse_sweep(args.sweep or []))
        progress = sys.stderr.isatty() if args.progress is None else args.progress
        outcome = runner.simulate(
            scenario,
            years=args.years,
            seed=args.seed,
            runs=args.runs,
            out=Path(args.out),
            sweep=sweep,
            workers=args.workers,
            plots=not args.no_plots,
            progress=progress,
        )
    except (params.ParameterError, params.ScenarioError, ClusterError) as exc:
        for line in getattr(exc, "messages", [str(exc)]):
            print(f"simulate: {line}", file=sys.stderr)
        return 2
    points = len(outcome.points)
    what = f"{points} sweep points × {args.runs} runs" if points > 1 else f"{args.runs} runs"
    print(f"{scenario.name}: {what} of {args.years} years in {outcome.seconds:.1f} s; outputs in {args.out}")
    return 0


def cmd_export_ocds(args: argparse.Namespace) -> int:
    """Write the OCDS release and record packages of the public calls (one pair, or one per fiscal year)."""
    _setup()
    from pathlib import Path

    from grassroots.disclosure import export, selectors

    out = Path(args.out)
    calls = selectors.public_calls(year=args.year, calls=args.call or ())
    if args.call and calls.count() < len(set(args.call)):
        print("no public call for some of: " + ", ".join(args.call), file=sys.stderr)
        return 2
    if not calls.exists():
        wanted = " ".join([f"--year {args.year}"] * (args.year is not None) + [f"--call {c}" for c in args.call or ()])
        print(f"nothing to export: no public call{' matches ' + wanted if wanted else ''}", file=sys.stderr)
        return 2
    years = sorted(set(calls.values_list("program__fiscal_year", flat=True))) if args.by_year else [args.year]

    def progress(done: int, total: int, releases: int) -> None:
        print(f"  {done}/{total} processes, {releases} releases", file=sys.stderr, flush=True)

    try:
        for year in years:
            subset = calls.filter(program__fiscal_year=year) if args.by_year else calls
            written = export.write_packages(
                out,
                subset,
                suffix=f"-{year}" if args.by_year else "",
                filters={"year": year, "call": args.call or ()},
                validate=not args.no_validate,
                progress=progress,
            )
            checked = "" if args.no_validate else ", validated"
            print(f"{written.processes} processes, {written.releases} releases{checked}:")
            for path in written.files:
                print(f"  {path}")
    except export.InvalidExport as exc:
        print(str(exc), file=sys.stderr)
        return 1
    return 0


def cmd_import_ocds(args: argparse.Namespace) -> int:
    """Import an OCDS release or record package. Exit 0 when it was imported (what could not be mapped is
    listed), 2 when it was refused (not JSON, not OCDS): then nothing was imported."""
    _setup()
    from django.contrib.auth import get_user_model
    from django.utils import translation

    from grassroots.core.errors import Forbidden
    from grassroots.disclosure import services

    user = None
    if args.as_user:
        user = get_user_model().objects.filter(username=args.as_user).first()
        if user is None:
            print(f"no user {args.as_user!r}", file=sys.stderr)
            return 2
    try:
        with open(args.file, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    with translation.override(reader_language()):
        try:
            report = services.import_package(user, data)
        except services.PackageRefused as exc:
            print(f"{args.file}: {exc}", file=sys.stderr)
            return 2
        except Forbidden as exc:
            print(str(exc), file=sys.stderr)
            return 2
        print(report.text())
    return 0


def _years(args: argparse.Namespace) -> tuple[int, int] | None:
    """`--year Y` or `--years A-B` (or `--years Y`); None when neither was given."""
    if args.years:
        first, _sep, last = args.years.partition("-")
        if not first.strip().isdigit() or (last and not last.strip().isdigit()):
            raise ValueError(f"--years takes A-B (e.g. 2020-2025), not {args.years!r}")
        span = int(first), int(last or first)
        if span[0] > span[1]:
            raise ValueError(f"--years {args.years}: the first year comes after the last")
        return span
    return (args.year, args.year) if args.year is not None else None


def cmd_governance(args: argparse.Namespace) -> int:
    """Print every governance metric of a street or department per fiscal year (a table, or --json).

    Exit 0 with the figures, 2 (and a one-line message) for an unknown street or department or bad years.
    """
    _setup()
    import json

    from django.utils import translation
    from django.utils.translation import gettext as _

    from grassroots.core.errors import RuleViolation
    from grassroots.governance import labels, metrics, selectors
    from grassroots.governance.api import metrics_data
    from grassroots.orgs.models import OrgKind

    try:
        span = _years(args)
        if args.street or args.department:
            org = selectors.find_jurisdiction(args.street or args.department)
            wanted = OrgKind.STREET if args.street else OrgKind.DEPARTMENT
            if org.kind != wanted:
                raise RuleViolation(f"{org.name} is a {org.kind}, not a {wanted}")
        else:
            departments = list(selectors.jurisdictions().filter(kind=OrgKind.DEPARTMENT))
            if len(departments) != 1:
                raise RuleViolation("say which: --street S or --department D (an id, a name or a credit code)")
            org = departments[0]
        if span is None:
            span = selectors.years_with_data(org)
            if span is None:
                raise RuleViolation(f"{org.name} has no closed call or signed contract yet: give --year")
    except (ValueError, RuleViolation) as exc:
        print("; ".join(getattr(exc, "messages", [str(exc)])), file=sys.stderr)
        return 2
    series = selectors.metrics_for(org, *span)
    if args.json:
        print(json.dumps(metrics_data(org, series), ensure_ascii=False, indent=2))
        return 0
    years = sorted(series)
    title = f"{org.name} ({org.name_en or org.kind}, id {org.pk})" if org.name_en else f"{org.name} (id {org.pk})"
    with translation.override(reader_language()):
        names = {m.name: str(labels.SHOWN[m.name].label) for m in metrics.METRICS}
        heading, note = str(_("Metric")), str(_("— : no denominator (no closed call, no contract, no evaluation)"))
    width = max(_columns(n) for n in [heading, *names.values()])
    print(title)
    print(_padded(heading, width) + "  " + "  ".join(f"{y:>10}" for y in years))
    for m in metrics.METRICS:
        cells = "  ".join(f"{labels.written(m.name, series[y][m.name]):>10}" for y in years)
        print(f"{_padded(names[m.name], width)}  {cells}")
    print(note)
    return 0


def _columns(text: str) -> int:
    """Terminal columns of `text`: a CJK character takes two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _padded(text: str, width: int) -> str:
    return text + " " * (width - _columns(text))


def cmd_manage(args: argparse.Namespace) -> int:
    _setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["grassroots manage", *args.rest])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grassroots", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="build the S Street demo and serve it")
    demo.add_argument("--no-serve", action="store_true", help="build the demo, print the logins and stop")
    demo.add_argument("--seed", type=int, default=2024, help="seed of the generated scenario")
    demo.add_argument("--reset", action="store_true", help="empty the database first")
    demo.add_argument("--addr", default="127.0.0.1:8000", help="address to serve on")
    demo.set_defaults(func=cmd_demo)

    serve = sub.add_parser("serve", help="serve the platform")
    serve.add_argument("--addr", default="127.0.0.1:8000")
    serve.set_defaults(func=cmd_serve)

    audit = sub.add_parser("audit", help="audit log tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="check the hash chain; reports the first tampered or missing event")
    verify.set_defaults(func=cmd_audit)

    solve = sub.add_parser("solve", help="run the assignment or allocation solver on a JSON file")
    solve.add_argument("problem", choices=["assign", "allocate"])
    solve.add_argument("input", help="the problem file (JSON)")
    solve.add_argument("-o", "--output", help="write the result here instead of stdout")
    solve.set_defaults(func=cmd_solve)

    imp = sub.add_parser("import-records", help="import service records or expenditures from an .xlsx or CSV file")
    imp.add_argument("contract", metavar="CONTRACT_NUMBER")
    imp.add_argument("file", metavar="FILE", help=".xlsx or .csv (UTF-8 or GBK)")
    imp.add_argument("--as", dest="as_user", metavar="USERNAME", required=True, help="the user who imports")
    imp.add_argument("--kind", choices=["records", "expenditures"], default="records")
    imp.set_defaults(func=cmd_import_records)

    sim = sub.add_parser(
        "simulate",
        help="run a policy scenario on synthetic agents and report the governance metrics",
        description="Outputs: metrics.csv (run, year, one column per governance metric), ledger.csv, "
        "summary.json, summary.md and metrics.png; with a sweep, one folder per point plus sweep.csv, "
        "sweep.md and sweep.png. Runs go to a pool of processes (--workers), or to the Dask scheduler "
        "named by GRASSROOTS_DASK_SCHEDULER or the Ray cluster named by GRASSROOTS_RAY_ADDRESS.",
    )
    sim.add_argument("--scenario", metavar="NAME|FILE", help="a shipped scenario (see --list) or a TOML/JSON file")
    sim.add_argument("--years", type=int, default=20, help="years to simulate (default 20)")
    sim.add_argument("--seed", type=int, default=1, help="seed of the first run (default 1)")
    sim.add_argument("--runs", type=int, default=10, help="runs per scenario or sweep point (default 10)")
    sim.add_argument("--out", metavar="DIR", help="folder for the outputs (created)")
    sim.add_argument("--set", action="append", metavar="PARAM=VALUE", help="override one parameter (repeatable)")
    sim.add_argument(
        "--sweep", action="append", metavar="PARAM=V1,V2,...", help="sweep a parameter (repeatable: all combinations)"
    )
    sim.add_argument("--sweep-file", metavar="FILE", help="a TOML/JSON file of param = [values]")
    sim.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes to run in parallel (default: one per core)"
    )
    sim.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    sim.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: on a terminal)",
    )
    sim.add_argument("--list", action="store_true", help="list the shipped scenarios and stop")
    sim.set_defaults(func=cmd_simulate)

    exp = sub.add_parser("export-ocds", help="write OCDS 1.1.5 release and record packages of the public calls")
    exp.add_argument("--out", required=True, metavar="DIR", help="folder to write the packages into")
    exp.add_argument("--year", type=int, help="only the calls of this fiscal year")
    exp.add_argument("--call", action="append", metavar="REFERENCE_OR_OCID", help="only this call (repeatable)")
    exp.add_argument("--by-year", action="store_true", help="one pair of packages per fiscal year")
    exp.add_argument("--no-validate", action="store_true", help="skip validating each release and record")
    exp.set_defaults(func=cmd_export_ocds)

    ocds_import = sub.add_parser("import-ocds", help="import an OCDS release or record package")
    ocds_import.add_argument("file", metavar="FILE", help="a release package or record package (JSON)")
    ocds_import.add_argument("--as", dest="as_user", metavar="USERNAME", help="the staff user who imports")
    ocds_import.set_defaults(func=cmd_import_ocds)

    gov = sub.add_parser("governance", help="print the governance metrics of a street or department")
    which = gov.add_mutually_exclusive_group()
    which.add_argument("--street", metavar="S", help="the street's id, name, English name or credit code")
    which.add_argument("--department", metavar="D", help="the department's (default: the only one)")
    when = gov.add_mutually_exclusive_group()
    when.add_argument("--year", type=int, help="one fiscal year")
    when.add_argument("--years", metavar="A-B", help="a range of fiscal years (default: every year with data)")
    gov.add_argument("--json", action="store_true", help="JSON, in the shape of GET /api/governance/metrics")
    gov.set_defaults(func=cmd_governance)

    manage = sub.add_parser("manage", help="run a Django management command", add_help=False)
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except BrokenPipeError:  # the reader stopped reading (`| head`): not an error of ours
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
