# budaiscaler-spec: `make spec` runs the specification on the embedded cluster,
# `make test` runs everything CI runs. Both create .venv and install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: spec test unit behave bench properties mutation kubectl chromium serve docs clean controlplane controlplane-down controlplane-build spec-cluster bench-cluster

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

spec: $(STAMP)            ## the whole spec on the embedded cluster (pass ARGS="--tags=@scaling" etc.)
	$(BIN)/behave $(ARGS)

test: $(STAMP) kubectl chromium  ## unit tests + the whole spec on the embedded cluster
	$(BIN)/pytest -q
	$(BIN)/behave --format progress

unit: $(STAMP)
	$(BIN)/pytest -q

bench: $(STAMP)           ## the whole spec: seconds per scenario, and each capability vs the old shell suite
	$(BIN)/python scripts/benchmark.py

properties: $(STAMP)      ## property tests and fuzzing with hypothesis's long random profile (CI runs a fixed one)
	$(BIN)/pytest -q --hypothesis-profile=long $(wildcard tests/test_properties_*.py) $(wildcard tests/test_fuzz_*.py)

docs: $(STAMP)            ## regenerate docs/steps.md from the step definitions (CI checks it is current)
	$(BIN)/python scripts/step_catalogue.py > docs/steps.md

mutation: $(STAMP)        ## mutation score of support/reference/ (mutmut, incremental, nice'd); exits 1 below 85 %
	@$(BIN)/python -c "import mutmut" 2>/dev/null || $(BIN)/pip install --quiet -e '.[mutation]'
	$(BIN)/python scripts/mutation.py $(ARGS)

serve: $(STAMP)           ## the embedded cluster in real time, for kubectl and demos
	$(BIN)/python -m support.localcluster serve

controlplane: $(STAMP)    ## a real control plane here (etcd, kube-apiserver, kube-controller-manager, node agent); prints its kubeconfigs
	$(BIN)/python -m support.controlplane up

controlplane-down: $(STAMP) ## stop it and remove its data
	$(BIN)/python -m support.controlplane down

CONTROLPLANE_DIR ?= $(or $(BUDSPEC_CONTROLPLANE_DIR),/tmp/budaiscaler-spec-controlplane)
# controlplane, controlplane-down, the tests and spec-cluster all use this one
export BUDSPEC_CONTROLPLANE_DIR := $(CONTROLPLANE_DIR)
JOBS ?= 16
CLUSTER_TAGS ?= not @known-gap

CLUSTER_ARGS = -D target=cluster -D kubeconfig=$(CONTROLPLANE_DIR)/suite.kubeconfig -D restart_controller=yes

spec-cluster: $(STAMP)    ## the real-time spec on the control plane (make controlplane first), as the suite's own identity
	$(BIN)/python -m support run --jobs $(JOBS) --tags="$(CLUSTER_TAGS)" $(CLUSTER_ARGS) $(ARGS)

bench-cluster: $(STAMP)   ## real-time wall of @scaling on the control plane vs the old suite
	$(BIN)/python scripts/benchmark_cluster.py --jobs $(JOBS)

controlplane-build: $(STAMP) ## only build its binaries (cached under ~/.cache/budaiscaler-spec; needs Go 1.26+)
	$(BIN)/python -m support.controlplane build

kubectl:                  ## the kubectl tests need a kubectl binary (Debian: kubernetes-client)
	@command -v kubectl >/dev/null || { apt-get update -qq && apt-get install -y -qq kubernetes-client >/dev/null; } \
	  || echo "kubectl not installed: the kubectl test will be skipped"

chromium:                 ## the report tests look at the HTML report in headless Chromium (Debian: chromium)
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "chromium not installed: the browser tests of the report will be skipped"

clean:
	rm -rf $(VENV) reports artifacts .pytest_cache .hypothesis
