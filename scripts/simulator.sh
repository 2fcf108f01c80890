# Sourced by the demo and rehearsal scripts: starts `deployer simulate azure` ($BIN) in the background
# with the arguments given, its port written to "$STATE/port" (with --tls, pass --tls-port-file
# "$STATE/tls-port" too), and waits until it listens. Sets SIM (its pid) and HTTP (its plain URL).
start_simulator() {
  want_tls=no
  for argument in "$@"; do
    if [ "$argument" = "--tls" ]; then want_tls=yes; fi
  done
  "$BIN" simulate azure --port 0 --port-file "$STATE/port" "$@" >"$STATE/simulator.log" 2>&1 &
  SIM=$!
  i=0
  until [ -s "$STATE/port" ] && { [ $want_tls = no ] || [ -s "$STATE/tls-port" ]; }; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 $SIM 2>/dev/null; then
      echo "the ARM simulator did not start:" >&2
      cat "$STATE/simulator.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  HTTP="http://127.0.0.1:$(cat "$STATE/port")"
}
