# deployer — make demo (roll the simulated fleet), make demo-haproxy (roll a real HAProxy lab under load),
# make demo-azure (roll the platform's scale sets on the ARM simulator), make test (every test),
# make bench, make install.
SWIFT      ?= swift
PREFIX     ?= /usr/local
DEMO_STATE ?= .demo-state
# Debian packages the build and the tests need (installed by `make deps` when missing).
APT_PACKAGES ?= ca-certificates chromium etcd-server git haproxy libcurl4-openssl-dev libssh2-1-dev libssl-dev openssh-server openssh-client openssl procps python3 python3-venv socat sudo

.PHONY: all build release demo demo-haproxy demo-azure rehearse-az lab-down test bench install deps clean report-picture

all: build

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi
	@command -v $(SWIFT) >/dev/null || { echo "error: swift is not installed (https://www.swift.org/install/linux/)"; exit 2; }

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release --product deployer

# Rolls the built-in simulated environment (inventories/simulated.yml) from v6.21.17 to v6.21.18,
# starting from a fresh fleet each time; then shows where every target stands.
demo: release
	@rm -rf $(DEMO_STATE)
	.build/release/deployer plan simulated --state-dir $(DEMO_STATE)
	@echo
	.build/release/deployer deploy simulated --yes --state-dir $(DEMO_STATE) --report $(DEMO_STATE)/report.html
	@echo
	.build/release/deployer status simulated --state-dir $(DEMO_STATE)

# Rolls inventories/local-haproxy.yml on a real lab (two HAProxy, four backends on 127.0.0.1) under
# load; the lab stays up afterwards (make lab-down stops it).
demo-haproxy: release
	$(SWIFT) build -c release --product deployer-lab
	scripts/demo-haproxy.sh

# Starts `deployer simulate azure` on 127.0.0.1 with scenarios/azure-platform.yml and rolls prod-vmss
# (Application Gateway drain), test-vmss and consumers-vmss on it; drains and restores one instance.
demo-azure: release
	scripts/demo-azure.sh

# The platform's graceful pipeline with the real az CLI against the simulator (HTTPS), then the same
# roll with deployer; prints the wall time and ARM calls of each (scripts/rehearse-az.sh).
rehearse-az: release
	scripts/rehearse-az.sh

# Renders the report `make demo` wrote (.demo-state/report.html) with headless Chromium into
# docs/report.png, the picture the README shows.
report-picture: demo
	scripts/report-picture.sh $(DEMO_STATE)/report.html docs/report.png

lab-down:
	@if [ -x .build/release/deployer-lab ]; then .build/release/deployer-lab down --dir /tmp/deployer-lab; fi

test: deps
	scripts/conformance-venv.sh
	scripts/az-venv.sh || echo "warning: the az CLI could not be installed into .venv-az; AzCLIConformanceTests will say it is skipped"
	$(SWIFT) build --build-tests
	SWIFT=$(SWIFT) scripts/run-tests.sh

bench: deps
	scripts/bench-venv.sh
	$(SWIFT) build -c release --product deployer
	$(SWIFT) build -c release --product deployer-bench
	$(SWIFT) build -c release --product deployer-bench-haproxy
	$(SWIFT) build -c release --product deployer-bench-azure
	$(SWIFT) build -c release --product deployer-bench-manifests
	$(SWIFT) build -c release --product deployer-lab
	.build/release/deployer-bench
	.build/release/deployer-bench-haproxy
	.build/release/deployer-bench-azure
	.build/release/deployer-bench-manifests

install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 .build/release/deployer $(DESTDIR)$(PREFIX)/bin/deployer

clean:
	rm -rf .build $(DEMO_STATE) .venv-conformance .venv-bench
