# Two commands on a fresh machine:
#   make run    set up, index seeds/ if needed, start the bot (or a terminal chat without a token)
#   make test   set up and run the whole test suite (what .ci/run calls)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch must be installed before sentence-transformers, or pip pulls the CUDA build
# (several GB). Here `torch==2.13.0` resolves to a local CPU wheel; elsewhere point this at one.
TORCH_PIP_ARGS ?= torch==2.13.0
export HF_HUB_OFFLINE := 1

.PHONY: run test bench quality speed conversations index clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q $(TORCH_PIP_ARGS)
	$(BIN)/python -m pip install -q -e '.[test,milvus]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/python -m bot

# The suite runs on every core (pytest-xdist, at most 4 workers), each test file in one worker so that
# its module fixtures are built once; PYTEST_ARGS adds options (`-n 0`: one process, `-x`, a file).
test: $(VENV)/.installed
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile $(PYTEST_ARGS)

index: $(VENV)/.installed
	$(BIN)/docbot index

$(VENV)/.bench: $(VENV)/.installed
	$(BIN)/python -m pip install -q -e '.[test,milvus,bench]'
	touch $@

# Full benchmark on ../shared/corpora (see README "Measurements"); BENCH_ARGS adds options.
bench: $(VENV)/.bench
	$(BIN)/python -m benchmarks.bench --baseline $(BENCH_ARGS)

# Answer quality (issue figures: hit@k, quotes, abstention, latency) on news2022 + the small corpora;
# QUALITY_ARGS adds options (--news-data-dir DIR to reuse an index, --cv, --fit, --out DIR).
quality: $(VENV)/.installed
	$(BIN)/python -m benchmarks.quality $(QUALITY_ARGS)

# Speed (README "Speed"): a question's stages on an index built by docbot (SPEED_DATA=DIR, read only),
# then indexing against the textbook pipeline in the same run; SPEED_ARGS adds index_speed options.
SPEED_DATA ?= data
speed: $(VENV)/.bench
	$(BIN)/python -m benchmarks.query_speed --data-dir $(SPEED_DATA) --markdown
	$(BIN)/python -m benchmarks.index_speed --markdown $(SPEED_ARGS)

# Follow-up questions: context-free vs conversation-aware over seeds/ and 300 news2022 articles;
# CONVERSATIONS_ARGS adds options (--work-dir DIR to reuse the index, --out DIR).
conversations: $(VENV)/.installed
	$(BIN)/python -m benchmarks.conversations $(CONVERSATIONS_ARGS)

clean:
	rm -rf $(VENV) data
