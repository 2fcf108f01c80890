import Foundation
import Testing

@testable import Manifests

/// `{{ }}` references in `run` commands: the context each sits in, the quoting each context gets,
/// and what /bin/sh makes of the result.
@Suite struct ShellTemplateTests {
    /// Values that would be shell syntax if substituted as they are.
    static let hostile = [
        "plain", "", "a b", "it's", "say \"hi\"", "$(touch PWNED)", "`touch PWNED`", "x;touch PWNED", "x && touch PWNED",
        "line1\ntouch PWNED", "back\\slash", "$HOME", "${HOME}", "*", "~root", "a=b", "'; touch PWNED; '",
        "\"; touch PWNED; \"", "-n", "\\", "'", "\"", "'\\''", "tab\there", "ünïcode ✓",
    ]

    static func contexts(_ command: String) -> [ShellTemplate.Context?] {
        ShellTemplate(command).placements.map(\.context)
    }

    // MARK: Contexts

    @Test func eachReferenceIsPlacedInTheQuotingItIsWrittenIn() {
        #expect(Self.contexts("echo '{{ a }}' \"{{ b }}\" {{ c }}") == [.singleQuoted, .doubleQuoted, .unquoted])
        #expect(Self.contexts("echo \"it's {{ a }}\"") == [.doubleQuoted])
        #expect(Self.contexts("echo 'say \"{{ a }}'") == [.singleQuoted])
        #expect(Self.contexts("echo \\'{{ a }}") == [.unquoted])
        #expect(Self.contexts("echo \"\\\"{{ a }}\"") == [.doubleQuoted])
        #expect(Self.contexts("echo 'a\\'{{ a }}") == [.unquoted])  // `\` is literal in '…', which then ends
        #expect(Self.contexts("--opt={{ a }} x{{ b }}y") == [.unquoted, .unquoted])
        #expect(Self.contexts("echo $(date) \"$(date)\" `date` {{ a }}") == [.unquoted])
        #expect(Self.contexts("echo $((1 + (2))) {{ a }}") == [.unquoted])
        #expect(Self.contexts("echo ${HOME:-/} a#{{ a }}") == [.unquoted])
        #expect(Self.contexts("cat <<EOF\nbody\nEOF\necho {{ a }}") == [.unquoted])
        #expect(Self.contexts("cat <<-'EOF'\n\tbody\n\tEOF\necho \"{{ a }}\"") == [.doubleQuoted])
        #expect(Self.contexts("echo a <<< {{ a }}") == [.unquoted])
    }

    @Test func referencesNoQuotingCanMakeSafeAreProblems() {
        let unsafe = [
            "echo $(cat {{ a }})", "echo \"$(cat {{ a }})\"", "echo `cat {{ a }}`", "echo \"`cat {{ a }}`\"",
            "echo $((1 + {{ a }}))", "echo ${x:-{{ a }}}", "echo \"${x:-{{ a }}}\"", "echo \\{{ a }}",
            "echo \"\\{{ a }}\"", "echo ${{ a }}", "echo \"${{ a }}\"", "echo hi # {{ a }}", "# {{ a }}",
            "cat <<EOF\n{{ a }}\nEOF", "cat <<'EOF'\nx {{ a }}\nEOF", "cat <<{{ a }}\nx\n", "echo $(echo \")\" {{ a }})",
        ]
        for command in unsafe {
            let placements = ShellTemplate(command).placements
            #expect(placements.count == 1, "\(command)")
            #expect(placements.first?.context == nil, "\(command.debugDescription)")
            #expect(placements.first?.problem?.isEmpty == false, "\(command.debugDescription)")
        }
        // Once the construct ends, references are safe again.
        #expect(Self.contexts("echo $(cat {{ a }}) {{ b }}") == [nil, .unquoted])
        #expect(Self.contexts("echo hi # {{ a }}\necho {{ b }}") == [nil, .unquoted])
    }

    @Test func referencesAreParsedWithTheirRawMarker() {
        let placements = ShellTemplate("a {{ x }} {{y|raw}} {{ z | raw }} {{ w | default('') }}").placements
        #expect(placements.map(\.name) == ["x", "y", "z", nil])
        #expect(placements.map(\.raw) == [false, true, true, false])
        #expect(placements.map(\.offset) == [2, 10, 20, 34])
    }

    // MARK: Quoting

    @Test func unquotedValuesBecomeOneWordQuotedOnlyWhenNeeded() {
        let template = ShellTemplate("deploy.sh {{ v }}")
        #expect(template.render(["v": "v6.21.18"]) == "deploy.sh v6.21.18")
        #expect(template.render(["v": "/srv/app-1:8000,x@y%z+w"]) == "deploy.sh /srv/app-1:8000,x@y%z+w")
        #expect(template.render(["v": ""]) == "deploy.sh ''")
        #expect(template.render(["v": "a b"]) == "deploy.sh 'a b'")
        #expect(template.render(["v": "it's"]) == "deploy.sh 'it'\\''s'")
        #expect(template.render(["v": "v6;touch /tmp/x"]) == "deploy.sh 'v6;touch /tmp/x'")
        #expect(template.render(["v": "$(id)"]) == "deploy.sh '$(id)'")
        #expect(template.render(["v": "`id`"]) == "deploy.sh '`id`'")
        #expect(template.render(["v": "a\nb"]) == "deploy.sh 'a\nb'")
        #expect(template.render(["v": "a=b"]) == "deploy.sh 'a=b'")
        #expect(template.render(["v": "\"q\""]) == "deploy.sh '\"q\"'")
    }

    @Test func singleQuotedValuesCannotCloseTheQuote() {
        let template = ShellTemplate("echo '{{ v }}'")
        #expect(template.render(["v": "it's"]) == "echo 'it'\\''s'")
        #expect(template.render(["v": "'; touch x; '"]) == "echo ''\\''; touch x; '\\'''")
        #expect(template.render(["v": "$(id) `id` \"q\" \\ ;\n"]) == "echo '$(id) `id` \"q\" \\ ;\n'")
        #expect(template.render(["v": ""]) == "echo ''")
    }

    @Test func doubleQuotedValuesHaveTheirSpecialCharactersEscaped() {
        let template = ShellTemplate("echo \"r={{ v }}\"")
        #expect(template.render(["v": "$(id)"]) == "echo \"r=\\$(id)\"")
        #expect(template.render(["v": "`id`"]) == "echo \"r=\\`id\\`\"")
        #expect(template.render(["v": "say \"hi\""]) == "echo \"r=say \\\"hi\\\"\"")
        #expect(template.render(["v": "a\\b"]) == "echo \"r=a\\\\b\"")
        #expect(template.render(["v": "it's; x\ny"]) == "echo \"r=it's; x\ny\"")
        #expect(template.render(["v": ""]) == "echo \"r=\"")
    }

    @Test func rawValuesAndUnknownReferencesAreLeftAsTheyAre() {
        #expect(ShellTemplate("echo {{ v | raw }}").render(["v": "-n $HOME"]) == "echo -n $HOME")
        #expect(ShellTemplate("echo {{ other }} {{ v }}").render(["v": "a b"]) == "echo {{ other }} 'a b'")
    }

    /// What /bin/sh prints for `command`, run in a fresh temporary directory, and whether it created
    /// anything there.
    static func shell(_ command: String) throws -> (output: String, created: [String]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shell-template-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // posix_spawn, not Foundation's Process: Process.run is not safe while other suites of this test
        // process launch processes on other threads.
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { throw CocoaError(.fileWriteUnknown) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addclose(&actions, pipe[1])
        // Into `directory` first, then the command in a shell of its own (its $0, $1 … untouched).
        let arguments = ["/bin/sh", "-c", "cd \"$0\" && exec /bin/sh -c \"$1\"", directory.path, command]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ)
        close(pipe[1])
        defer { close(pipe[0]) }
        guard spawned == 0 else { throw CocoaError(.executableLoad) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipe[0], &buffer, buffer.count)
            if count <= 0 { break }
            data.append(contentsOf: buffer[..<count])
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let created = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return (String(decoding: data, as: UTF8.self), created)
    }

    /// Each command prints the value between `before` and `after`.
    static let printers: [(command: String, before: String, after: String)] = [
        ("printf %s {{ v }}", "", ""),
        ("printf %s x{{ v }}y", "x", "y"),
        ("printf %s '{{ v }}'", "", ""),
        ("printf %s \"{{ v }}\"", "", ""),
        ("printf %s \"<'{{ v }}'>\"", "<'", "'>"),
        ("printf %s '\"'{{ v }}'\"'", "\"", "\""),
        ("v={{ v }}; printf %s \"$v\"", "", ""),
    ]

    @Test func theShellReceivesEveryValueLiterally() throws {
        for (command, before, after) in Self.printers {
            for value in Self.hostile {
                let rendered = ShellTemplate(command).render(["v": value])
                let (output, created) = try Self.shell(rendered)
                #expect(output == before + value + after, "\(rendered.debugDescription)")
                #expect(created.isEmpty, "\(rendered.debugDescription) created \(created)")
            }
        }
    }

    // MARK: The loader

    static func findings(_ run: String, health: String = "provider: true") -> [String] {
        let text = "targets:\n  simulated:\n    count: 2\ndeploy:\n  run: \(run)\nhealth:\n  \(health)\n"
        return EnvironmentLoader.check(text: text, path: "env.yml").1.map {
            "\($0.location!.line):\($0.location!.column) \($0.severity == .error ? "error" : "warning")[\($0.rule!)]"
        }
    }

    @Test func theLoaderPlacesEachFindingAtItsReference() {
        #expect(Self.findings("/opt/deploy.sh {{ version }} '{{ inventory_hostname }}'").isEmpty)
        #expect(Self.findings("echo $(cat {{ inventory_hostname }})") == ["5:19 error[unsafe-template]"])
        #expect(Self.findings("echo {{ version }} {{ inventory_hostname | raw }}") == ["5:27 warning[raw-template]"])
        // `| raw` takes the value as shell text wherever it is written.
        #expect(Self.findings("echo $(cat {{ inventory_hostname | raw }})") == ["5:19 warning[raw-template]"])
        // Templates that are not shell have no `| raw`.
        #expect(
            Self.findings("/opt/deploy.sh", health: "http: \"http://{{ address | raw }}:8000/\"")
                == ["7:17 error[unsupported-template]"])
    }
}
