"""The checks a conformance script makes: one line per check, counted."""


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"  ok   {name}", flush=True)
        else:
            self.failed += 1
            print(f"  FAIL {name}" + (f": {detail}" if detail else ""), flush=True)
        return condition

    def summary(self):
        """The last line the tests read: "N passed, M failed"."""
        return f"{self.passed} passed, {self.failed} failed"
