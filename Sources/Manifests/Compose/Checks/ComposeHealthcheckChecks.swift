import Foundation

/// `healthcheck`: the form of `test`, durations Go can read, and `retries` a whole number.
extension ComposeCheckContext {
    static let healthcheckForms = ["CMD", "CMD-SHELL", "NONE"]

    mutating func checkHealthchecks() {
        for service in services {
            guard let healthcheck = service.value["healthcheck"], healthcheck.pairs != nil else { continue }
            let name = service.key
            if let test = healthcheck["test"] { checkHealthTest(test, service: name) }
            for key in ["interval", "timeout", "start_period", "start_interval"] {
                guard let node = healthcheck[key], let value = text(node) else { continue }
                guard let seconds = ComposeDuration.seconds(value) else {
                    error(
                        "service `\(name)`: healthcheck `\(key)` `\(value)` is not a duration; write it like `10s`, `1m30s` or `500ms`",
                        at: node.location, rule: "compose/healthcheck")
                    continue
                }
                if seconds < 0 {
                    error("service `\(name)`: healthcheck `\(key)` `\(value)` is negative", at: node.location, rule: "compose/healthcheck")
                }
            }
            if let node = healthcheck["retries"], let value = text(node), Int(value).map({ $0 >= 0 }) != true {
                error(
                    "service `\(name)`: healthcheck `retries` `\(value)` must be a whole number, 0 or more",
                    at: node.location, rule: "compose/healthcheck")
            }
        }
    }

    private mutating func checkHealthTest(_ test: YAMLNode, service: String) {
        if let text = text(test) {
            if text.trimmingCharacters(in: .whitespaces).isEmpty {
                error(
                    "service `\(service)`: healthcheck `test` is empty; give a command, or `disable: true`",
                    at: test.location, rule: "compose/healthcheck")
            }
            return
        }
        guard let items = test.items else { return }
        guard let first = items.first else {
            error(
                "service `\(service)`: healthcheck `test` is an empty list; start it with `CMD`, `CMD-SHELL` or `NONE`",
                at: test.location, rule: "compose/healthcheck")
            return
        }
        guard let form = self.text(first) else { return }
        guard Self.healthcheckForms.contains(form) else {
            var message = "service `\(service)`: healthcheck `test` starts with `\(form)`; a list must start with `CMD`, `CMD-SHELL` or `NONE`"
            if let guess = Suggestion.closest(to: form, among: Self.healthcheckForms) {
                message += "; did you mean `\(guess)`?"
            } else {
                message += " (`[\"CMD\", \"\(form)\", …]` runs it directly, `[\"CMD-SHELL\", \"…\"]` through a shell)"
            }
            error(message, at: first.location, rule: "compose/healthcheck")
            return
        }
        if form != "NONE", items.count < 2 {
            error(
                "service `\(service)`: healthcheck `test` has `\(form)` but no command after it",
                at: first.location, rule: "compose/healthcheck")
        }
    }
}
