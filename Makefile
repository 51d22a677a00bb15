# CallDocker: calldockerd (daemon/), calldocker (cmd/ + tui/), shared code in common/.
#   make            build bin/calldockerd and bin/calldocker
#   make run        install missing packages, start a private PostgreSQL, run the daemon
#   make test       unit tests and bats suites against a throwaway PostgreSQL
#   make bench      wrk benchmarks with nginx as the reference
#   make install    PREFIX=/usr/local DESTDIR=
#   make SANITIZE=address,undefined test

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
DATADIR	?= $(PREFIX)/share
UNITDIR	?= $(PREFIX)/lib/systemd/system

CC	?= cc
PKG_CONFIG ?= pkg-config
PKGS_COMMON = jansson yaml-0.1 libcurl libssl libcrypto
PKGS_DAEMON = libwebsockets libpq libjwt libcrypto
PKGS_CLI    = ncursesw readline

WARN	= -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	  -Wmissing-prototypes -Wno-unused-parameter
ifdef CI
WARN	+= -Werror
endif
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE -pthread $(WARN) -Icommon
LDFLAGS	+= -pthread
ifdef SANITIZE
CFLAGS	+= -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=$(SANITIZE)
endif

# Rebuild everything when the flags change (SANITIZE=, CI=), like git's
# GIT-CFLAGS: objects depend on a file holding the flags.
FLAGS_FILE = build/FLAGS
$(shell mkdir -p build; echo '$(CC) $(CFLAGS) $(LDFLAGS)' | cmp -s - $(FLAGS_FILE) || \
	echo '$(CC) $(CFLAGS) $(LDFLAGS)' > $(FLAGS_FILE))

cflags	= $(shell $(PKG_CONFIG) --cflags $(1) | sed 's/-D_XOPEN_SOURCE=600//')
libs	= $(shell $(PKG_CONFIG) --libs $(1))

COMMON_SRC = $(wildcard common/*.c)
# The daemon is layered in folders (daemon/README.md); each is on the
# include path, so a header is named by its file alone.
DAEMON_SRC = $(wildcard daemon/*.c daemon/*/*.c)
DAEMON_INC = -Idaemon $(patsubst %/,-I%,$(sort $(dir $(wildcard daemon/*/*.c))))
DAEMON_H   = $(wildcard daemon/*.h daemon/*/*.h)
CLI_SRC    = $(wildcard cmd/*.c) $(wildcard tui/*.c)
UNIT_SRC   = $(wildcard tests/unit/t-*.c)

COMMON_OBJ = $(COMMON_SRC:%.c=build/%.o)
DAEMON_OBJ = $(DAEMON_SRC:%.c=build/%.o) build/gen/migrations.o
SQL        = $(sort $(wildcard sql/*.sql))
CLI_OBJ    = $(CLI_SRC:%.c=build/%.o)
UNIT_BIN   = $(UNIT_SRC:tests/unit/%.c=build/tests/%)

DAEMON_LIBS = $(call libs,$(PKGS_COMMON) $(PKGS_DAEMON)) -lev -lcrypt -lm
CLI_LIBS    = $(call libs,$(PKGS_COMMON) $(PKGS_CLI)) -lm

all: bin/calldockerd bin/calldocker

build/common/%.o: common/%.c $(FLAGS_FILE) $(wildcard common/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(call cflags,$(PKGS_COMMON) libjwt) -c -o $@ $<

build/daemon/%.o: daemon/%.c $(FLAGS_FILE) $(wildcard common/*.h) $(DAEMON_H)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DAEMON_INC) $(call cflags,$(PKGS_COMMON) $(PKGS_DAEMON)) -c -o $@ $<

build/cmd/%.o: cmd/%.c $(FLAGS_FILE) $(wildcard common/*.h cmd/*.h tui/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icmd -Itui $(call cflags,$(PKGS_COMMON) $(PKGS_CLI)) -c -o $@ $<

build/tui/%.o: tui/%.c $(FLAGS_FILE) $(wildcard common/*.h cmd/*.h tui/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icmd -Itui $(call cflags,$(PKGS_COMMON) $(PKGS_CLI)) -c -o $@ $<

# The daemon carries its migrations, generated from sql/*.sql.
build/gen/migrations.c: $(SQL) scripts/embed-sql.sh
	@mkdir -p $(dir $@)
	scripts/embed-sql.sh $(SQL) > $@

build/gen/migrations.o: build/gen/migrations.c $(FLAGS_FILE)
	$(CC) $(CFLAGS) -c -o $@ $<

bin/calldockerd: $(DAEMON_OBJ) $(COMMON_OBJ)
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $^ $(DAEMON_LIBS)

bin/calldocker: $(CLI_OBJ) $(COMMON_OBJ)
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $^ $(CLI_LIBS) $(call libs,libjwt)

# Unit tests link the pure modules of common/ and daemon/ (not main.c).
UNIT_LINK = $(COMMON_OBJ) $(filter-out build/daemon/main.o,$(DAEMON_OBJ))
build/tests/t-%: tests/unit/t-%.c tests/unit/unit.h $(UNIT_LINK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DAEMON_INC) -Itests/unit $(call cflags,$(PKGS_COMMON) $(PKGS_DAEMON)) \
	    -o $@ $< $(UNIT_LINK) $(LDFLAGS) $(DAEMON_LIBS)

# The wallboard's picture (tui/wb-data.c) is pure too.
build/tests/t-wb-data: tests/unit/t-wb-data.c tests/unit/unit.h \
    build/tui/wb-data.o build/common/xmalloc.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icmd -Itui -Itests/unit $(call cflags,$(PKGS_COMMON)) \
	    -o $@ $< build/tui/wb-data.o build/common/xmalloc.o $(LDFLAGS) \
	    $(call libs,jansson)

# So is the CLI's JSON writer (cmd/output-json.c).
build/tests/t-output-json: tests/unit/t-output-json.c tests/unit/unit.h \
    build/cmd/output-json.o build/common/xmalloc.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icmd -Itests/unit $(call cflags,$(PKGS_COMMON)) \
	    -o $@ $< build/cmd/output-json.o build/common/xmalloc.o $(LDFLAGS) \
	    $(call libs,jansson) -lm

units: $(UNIT_BIN)

# The ACD engine's benchmark: the pure engine alone, no database.
ACD_OBJ   = build/daemon/live/acd.o build/daemon/live/acd-call.o \
	    build/daemon/live/acd-pick.o build/daemon/live/acd-util.o
BENCH_BIN = build/bench/acd-bench
build/bench/acd-bench: tests/bench/acd-bench.c $(ACD_OBJ) build/common/xmalloc.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DAEMON_INC) -o $@ $< $(ACD_OBJ) build/common/xmalloc.o \
	    $(LDFLAGS) -lm

# The IVR benchmark: the parser, validator and engine of common/ alone.
IVR_OBJ    = $(filter build/common/ivr%.o,$(COMMON_OBJ)) build/common/xmalloc.o
BENCH_BIN += build/bench/ivr-bench
build/bench/ivr-bench: tests/bench/ivr-bench.c $(IVR_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(call cflags,jansson yaml-0.1) -o $@ $< $(IVR_OBJ) \
	    $(LDFLAGS) $(call libs,jansson yaml-0.1)

# The staffing forecast's calculation (Erlang C) for 1,000 queues.
FORECAST_OBJ = build/daemon/analytics/erlang.o build/daemon/analytics/forecast-model.o
BENCH_BIN += build/bench/forecast-bench
build/bench/forecast-bench: tests/bench/forecast-bench.c $(FORECAST_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(DAEMON_INC) -o $@ $< $(FORECAST_OBJ) $(LDFLAGS) -lm

# The wallboard's frame and rebuild times with 1,000 agents and 500 calls
# against 10 and 5, drawn into a screen on /dev/null (no daemon).
WB_BENCH_OBJ = $(filter-out build/cmd/calldocker.o,$(CLI_OBJ)) $(COMMON_OBJ)
BENCH_BIN += build/bench/wb-bench
build/bench/wb-bench: tests/bench/wb-bench.c $(WB_BENCH_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Icmd -Itui $(call cflags,$(PKGS_COMMON) $(PKGS_CLI)) \
	    -o $@ $< $(WB_BENCH_OBJ) $(LDFLAGS) $(CLI_LIBS) $(call libs,libjwt)

# The WebSocket load client: one process, many calldocker.v1 sockets.
BENCH_BIN += build/bench/ws-bench
build/bench/ws-bench: tests/bench/ws-bench.c $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(call cflags,libwebsockets jansson libcurl) -o $@ $< \
	    $(LDFLAGS) $(call libs,libwebsockets jansson libcurl) -lev

# libFuzzer on every parser of outside input: the IVR parser, validator
# and engine (fuzz-ivr), access tokens (fuzz-token), query strings, JSON
# bodies and field checks (fuzz-http), signaling messages (fuzz-ws), upload
# sniffing and If-None-Match (fuzz-sniff), x-www-form-urlencoded bodies
# (fuzz-form), X-Forwarded-For and trusted_proxies (fuzz-netaddr), JSON
# printing against jansson's (fuzz-json),
# the WebSocket client's frames and upgrade answers (fuzz-wsc),
# raw request heads against the byte-at-a-time original (fuzz-head);
# and, structure-aware, a request through the router, authorization, body
# parsing and its handler's checks (fuzz-route) and a WebSocket message
# through its handlers and the operations' input (fuzz-wsmsg), both on the
# daemon's own objects with the database down (docs/fuzzing.md).
# "make fuzz" first replays tests/fuzz/regress/NAME (inputs that once
# failed), then runs each FUZZ_SECONDS on a corpus in build/fuzz/corpus-NAME
# seeded from tests/fuzz/seeds/NAME, with tests/fuzz/NAME.dict;
# crashes land in build/fuzz/crashes (keep them as regression inputs).
#   make fuzz FUZZ_SECONDS=300 FUZZERS="route wsmsg"
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_FLAGS    = -g -O1 -std=c11 -D_GNU_SOURCE -pthread -Icommon $(DAEMON_INC) \
		-fsanitize=fuzzer $(FUZZ_SAN)
FUZZERS      ?= ivr token http ws sniff form wsc head route wsmsg netaddr json
FUZZ_SRC_ivr   = $(wildcard common/ivr*.c) common/xmalloc.c
FUZZ_SRC_token = common/token.c common/xmalloc.c common/log.c
FUZZ_SRC_http  = daemon/http/http.c daemon/http/validate.c common/form.c common/utf8.c \
		 common/xmalloc.c
FUZZ_SRC_ws    = daemon/http/ws-check.c
FUZZ_SRC_sniff = daemon/storage/sniff.c daemon/http/http.c common/form.c common/xmalloc.c
FUZZ_SRC_form  = common/form.c common/xmalloc.c
FUZZ_SRC_netaddr = common/netaddr.c common/xmalloc.c
FUZZ_SRC_json  = common/json-print.c common/xmalloc.c
FUZZ_SRC_wsc   = common/wsc.c common/wsc-util.c common/xmalloc.c
FUZZ_LIBS_wsc  = $(call libs,libssl libcrypto)
FUZZ_SRC_head  = daemon/http/headcheck.c tests/fuzz/headcheck-ref.c
FUZZ_PKGS      = jansson yaml-0.1 libjwt libpq

# fuzz-route and fuzz-wsmsg link the whole daemon but main.c, instrumented
# (build/fuzz/obj); fuzz-wsmsg runs the WebSocket lookup jobs inline
# (--wrap), against the real database layer with no database.
FUZZ_OBJ = $(patsubst %.c,build/fuzz/obj/%.o,$(COMMON_SRC) \
	   $(filter-out daemon/main.c,$(DAEMON_SRC))) build/fuzz/obj/gen/migrations.o
FUZZ_DAEMON_LIBS = $(call libs,$(PKGS_COMMON) $(PKGS_DAEMON)) -lev -lcrypt -lm
FUZZ_SRC_route = $(FUZZ_OBJ)
FUZZ_LIBS_route = $(FUZZ_DAEMON_LIBS)
FUZZ_SRC_wsmsg = $(FUZZ_OBJ)
FUZZ_LIBS_wsmsg = -Wl,--wrap=ws_job_submit $(FUZZ_DAEMON_LIBS)

build/fuzz/obj/%.o: %.c $(wildcard common/*.h) $(DAEMON_H) $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -std=c11 -D_GNU_SOURCE -pthread -Icommon $(DAEMON_INC) \
	    -fsanitize=fuzzer-no-link $(FUZZ_SAN) \
	    $(call cflags,$(PKGS_COMMON) $(PKGS_DAEMON)) -c -o $@ $<

build/fuzz/obj/gen/migrations.o: build/gen/migrations.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c -o $@ $<

# Each fuzzer's own sources are prerequisites too (second expansion).
.SECONDEXPANSION:
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $$(FUZZ_SRC_$$*) \
    $(wildcard common/*.h) $(DAEMON_H) $(FLAGS_FILE)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(call cflags,$(FUZZ_PKGS)) -o $@ $< \
	    $(FUZZ_SRC_$*) $(call libs,$(FUZZ_PKGS)) $(FUZZ_LIBS_$*)

fuzz: $(FUZZERS:%=build/fuzz/fuzz-%)
	@mkdir -p build/fuzz/crashes $(FUZZERS:%=build/fuzz/corpus-%)
	cp tests/ivr/valid/*.yaml build/fuzz/corpus-ivr/ 2>/dev/null || true
	for f in $(FUZZERS); do \
	    dict=; [ -f tests/fuzz/$$f.dict ] && dict=-dict=tests/fuzz/$$f.dict; \
	    if [ -d tests/fuzz/regress/$$f ]; then \
	        build/fuzz/fuzz-$$f -runs=0 tests/fuzz/regress/$$f || exit 1; \
	    fi; \
	    seeds=; [ -d tests/fuzz/seeds/$$f ] && seeds=tests/fuzz/seeds/$$f; \
	    build/fuzz/fuzz-$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	        -timeout=10 $$dict -artifact_prefix=build/fuzz/crashes/ \
	        build/fuzz/corpus-$$f $$seeds || exit 1; \
	done

deps:
	@scripts/deps.sh

test: deps all units
	@tests/run.sh

run: deps all
	@scripts/run.sh

# Three nodes, HAProxy and PostgreSQL with a standby on this machine
# (docs/cluster.md, "Trying it on one machine").
cluster: deps all
	@scripts/cluster.sh start

cluster-stop:
	@scripts/cluster.sh stop

# scripts/cluster.sh started, used and stopped in a temp dir (about 30 s;
# not part of make test).
cluster-check: deps all
	@bats tests/smoke-cluster.bats

# The cluster chaos test, long version: two minutes of kills, pauses and
# restarts of three nodes with one PostgreSQL failover (docs/cluster.md,
# "Chaos test"; CHAOS_SECONDS, CHAOS_SEED; not part of make test).
chaos: deps all
	@bats tests/chaos-long.bats

bench: deps all $(BENCH_BIN)
	@tests/bench/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(DATADIR)/bash-completion/completions \
	    $(DESTDIR)$(DATADIR)/zsh/vendor-completions \
	    $(DESTDIR)$(DATADIR)/fish/vendor_completions.d
	install -m 0755 bin/calldocker $(DESTDIR)$(BINDIR)/calldocker
	install -m 0755 bin/calldockerd $(DESTDIR)$(SBINDIR)/calldockerd
	for m in man/*.[0-9]; do install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$${m##*.}/; done
	install -m 0644 completions/calldocker.bash $(DESTDIR)$(DATADIR)/bash-completion/completions/calldocker
	install -m 0644 completions/_calldocker $(DESTDIR)$(DATADIR)/zsh/vendor-completions/_calldocker
	install -m 0644 completions/calldocker.fish $(DESTDIR)$(DATADIR)/fish/vendor_completions.d/calldocker.fish
	sed 's|@SBINDIR@|$(SBINDIR)|g' daemon/calldockerd.service > $(DESTDIR)$(UNITDIR)/calldockerd.service
	sed 's|@SBINDIR@|$(SBINDIR)|g' daemon/calldockerd@.service > '$(DESTDIR)$(UNITDIR)/calldockerd@.service'

# Completions and the man page's command list come from the CLI's table.
docs: bin/calldocker
	scripts/gen-docs.sh

clean:
	rm -rf build bin

.PHONY: all units deps test run cluster cluster-stop cluster-check chaos bench fuzz install docs clean
