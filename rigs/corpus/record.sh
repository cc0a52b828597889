#!/usr/bin/env bash
# Re-records the corpus: installs each MCP server OUTSIDE the repository (in
# $CORPUS_SERVERS, default /tmp/corpus-servers), starts it with no network
# and dummy credentials only, and writes its tools/list to testdata/ with
# cmd/dump, updating testdata/manifest.json. Needs npm and the Go module
# proxy; the tests never run this.
#
#   rigs/corpus/record.sh            # every server
#   rigs/corpus/record.sh memory     # only the named ones
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
S=${CORPUS_SERVERS:-/tmp/corpus-servers}
out=$here/testdata
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$S/bin" "$work/fs"
(cd "$here/../.." && go build -o "$S/bin/dump" ./rigs/corpus/cmd/dump)
only=" $* "

want() { [[ "$only" == "  " || "$only" == *" $1 "* ]]; }

# npm_license DIR PKG: the license field of the package, and the first line
# of the file a "SEE LICENSE IN" points to when it was shipped.
npm_license() {
	node -e '
		const fs = require("fs"), path = require("path");
		const dir = path.join(process.argv[1], "node_modules", process.argv[2]);
		const p = require(path.join(dir, "package.json"));
		let l = p.license || (p.licenses && p.licenses.map(x => x.type).join(" OR ")) || "";
		const m = /^SEE LICENSE IN (.+)$/.exec(l);
		if (m) {
			const f = path.join(dir, m[1]);
			if (fs.existsSync(f)) {
				const line = fs.readFileSync(f, "utf8").split("\n").map(s => s.replace(/^#+\s*/, "").trim()).find(s => s && !/^license$/i.test(s));
				l += " (" + line + ")";
			} else l += " (file not shipped in the package)";
		}
		if (!l) {
			for (const f of ["LICENSE", "LICENSE.md", "LICENSE.txt"]) {
				const p2 = path.join(dir, f);
				if (fs.existsSync(p2)) { l = fs.readFileSync(p2, "utf8").split("\n").find(s => s.trim()).trim() + " (from " + f + ")"; break; }
			}
		}
		process.stdout.write(l);
	' "$1" "$2"
}

# npm_server NAME PACKAGE VERSION BIN STARTED [ENV=VALUE...] -- ARGS...
# ($license, when set, replaces the license read from the package.)
npm_server() {
	local name=$1 pkg=$2 ver=$3 bin=$4 started=$5
	shift 5
	want "$name" || return 0
	local dir=$S/npm/$name envs=()
	while [[ $# -gt 0 && $1 != -- ]]; do envs+=(-env "$1"); shift; done
	shift
	mkdir -p "$dir"
	[[ -f $dir/node_modules/$pkg/package.json ]] ||
		npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts "$pkg@$ver" >"$dir.log" 2>&1
	"$S/bin/dump" -name "$name" -out "$out/$name.json" -manifest "$out/manifest.json" \
		-package "$pkg" -version "$ver" -license "${license:-$(npm_license "$dir" "$pkg")}" -started "$started" \
		"${envs[@]}" -- node "$dir/node_modules/$pkg/$bin" "$@" || echo "record: $name failed" >&2
}

# go_server NAME MODULE VERSION PACKAGE STARTED [ENV=VALUE...] -- ARGS...
# builds the command through a throwaway module that requires MODULE@VERSION.
go_server() {
	local name=$1 mod=$2 ver=$3 pkg=$4 started=$5
	shift 5
	want "$name" || return 0
	local envs=()
	while [[ $# -gt 0 && $1 != -- ]]; do envs+=(-env "$1"); shift; done
	shift
	local wrap=$S/go/$name
	if [[ ! -x $wrap/server ]]; then
		mkdir -p "$wrap"
		(cd "$wrap" && { [[ -f go.mod ]] || go mod init corpuswrap >/dev/null 2>&1; } &&
			go get "$pkg@$ver" >build.log 2>&1 && go build -o server "$pkg" >>build.log 2>&1)
	fi
	local lic licfile
	licfile="$(go env GOMODCACHE)/$(echo "$mod" | sed 's/[A-Z]/!\L&/g')@$ver/LICENSE"
	if grep -q "Apache License" "$licfile"; then lic="Apache-2.0 (LICENSE)"
	elif grep -q "Permission is hereby granted" "$licfile"; then lic="MIT (LICENSE: $(grep -m1 -i copyright "$licfile"))"
	else lic="$(grep -m1 . "$licfile") (LICENSE)"
	fi
	"$S/bin/dump" -name "$name" -out "$out/$name.json" -manifest "$out/manifest.json" \
		-package "$mod" -version "$ver" -license "$lic" -started "$started" \
		"${envs[@]}" -- "$wrap/server" "$@" || echo "record: $name failed" >&2
}

# The reference servers' package.json says "SEE LICENSE IN LICENSE" without
# shipping the file; this is what the LICENSE of their repository says.
mcp_license="Apache-2.0 and MIT (modelcontextprotocol/servers LICENSE: new contributions Apache-2.0, older ones MIT until relicensed; not shipped in the npm package)"
license=$mcp_license npm_server everything @modelcontextprotocol/server-everything 2026.8.31 dist/index.js \
	"mcp-server-everything stdio" -- stdio
license=$mcp_license npm_server filesystem @modelcontextprotocol/server-filesystem 2026.8.31 dist/index.js \
	"mcp-server-filesystem <empty temp dir>" -- "$work/fs"
license=$mcp_license npm_server memory @modelcontextprotocol/server-memory 2026.8.31 dist/index.js \
	"MEMORY_FILE_PATH=<temp>/memory.jsonl mcp-server-memory" MEMORY_FILE_PATH="$work/memory.jsonl" --
license=$mcp_license npm_server sequential-thinking @modelcontextprotocol/server-sequential-thinking 2026.8.31 dist/index.js \
	"mcp-server-sequential-thinking" --
npm_server playwright @playwright/mcp 0.0.83 cli.js \
	"playwright-mcp --headless (no browser installed)" -- --headless
npm_server chrome-devtools chrome-devtools-mcp 1.11.0 build/src/bin/chrome-devtools-mcp.js \
	"chrome-devtools-mcp --headless (no browser installed)" -- --headless
npm_server notion @notionhq/notion-mcp-server 2.5.2 bin/cli.mjs \
	"NOTION_TOKEN=dummy notion-mcp-server" NOTION_TOKEN=dummy --
npm_server supabase @supabase/mcp-server-supabase 0.13.0 dist/cli.js \
	"mcp-server-supabase --access-token=dummy --features=account,database,debugging,development,functions,branching,storage" \
	-- --access-token=dummy --features=account,database,debugging,development,functions,branching,storage
npm_server firecrawl firecrawl-mcp 3.26.0 dist/index.js \
	"FIRECRAWL_API_KEY=dummy firecrawl-mcp" FIRECRAWL_API_KEY=dummy --
npm_server mongodb mongodb-mcp-server 3.0.4 dist/esm/index.js \
	"mongodb-mcp-server (no connection string)" --
npm_server azure @azure/mcp 2.0.5 index.js \
	"azmcp server start --mode all" -- server start --mode all
npm_server kubernetes mcp-server-kubernetes 4.1.7 dist/index.js \
	"mcp-server-kubernetes (no kubeconfig: HOME in an empty temp dir)" HOME="$work" --
npm_server brave-search @brave/brave-search-mcp-server 2.1.4 dist/index.js \
	"BRAVE_API_KEY=dummy brave-search-mcp-server" BRAVE_API_KEY=dummy --
npm_server tavily tavily-mcp 0.2.22 build/index.js \
	"TAVILY_API_KEY=dummy tavily-mcp" TAVILY_API_KEY=dummy --
npm_server exa exa-mcp-server 3.4.1 dist/stdio.cjs \
	"EXA_API_KEY=dummy exa-mcp-server" EXA_API_KEY=dummy --
npm_server context7 @upstash/context7-mcp 4.1.1 dist/index.js \
	"context7-mcp" --
npm_server neon @neondatabase/mcp-server-neon 0.3.7 dist/index.js \
	"mcp-server-neon start dummy" -- start dummy
npm_server circleci @circleci/mcp-server-circleci 0.20.0 dist/index.js \
	"CIRCLECI_TOKEN=dummy mcp-server-circleci" CIRCLECI_TOKEN=dummy --
npm_server desktop-commander @wonderwhy-er/desktop-commander 0.2.52 dist/index.js \
	"desktop-commander --no-onboarding (HOME in a temp dir)" HOME="$work" -- --no-onboarding
npm_server chart @antv/mcp-server-chart 0.9.10 build/index.js \
	"mcp-server-chart" --
go_server github github.com/github/github-mcp-server v1.9.0 github.com/github/github-mcp-server/cmd/github-mcp-server \
	"GITHUB_PERSONAL_ACCESS_TOKEN=dummy github-mcp-server stdio --toolsets=all" GITHUB_PERSONAL_ACCESS_TOKEN=dummy -- stdio --toolsets=all
go_server grafana github.com/grafana/mcp-grafana v1.6.3 github.com/grafana/mcp-grafana/cmd/mcp-grafana \
	"GRAFANA_URL=http://127.0.0.1:9 GRAFANA_SERVICE_ACCOUNT_TOKEN=dummy mcp-grafana -t stdio" \
	GRAFANA_URL=http://127.0.0.1:9 GRAFANA_SERVICE_ACCOUNT_TOKEN=dummy -- -t stdio
