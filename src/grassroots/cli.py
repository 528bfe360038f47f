"""The `grassroots` console script: demo, serve, audit, solve, governance and a pass-through to Django's commands."""

from __future__ import annotations

import argparse
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
    width = max(len(m.label) for m in metrics.METRICS)
    print(title)
    print(f"{'metric':<{width}}  " + "  ".join(f"{y:>10}" for y in years))
    for m in metrics.METRICS:
        cells = "  ".join(f"{labels.written(m.name, series[y][m.name]):>10}" for y in years)
        print(f"{m.label:<{width}}  {cells}")
    print("— : no denominator (no closed call, no contract, no evaluation, no residents)")
    return 0


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
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
