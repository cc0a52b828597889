package mcpclient_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

const (
	skillURI  = "skill://pdf-processing/SKILL.md"
	formsURI  = "skill://pdf-processing/references/FORMS.md"
	skillBody = "---\nname: pdf-processing\ndescription: Extract, fill, and assemble PDF documents\nmetadata:\n  version: 2\n---\n\nSkill body.\n"
	formsBody = "Supporting content.\n"
)

func digestOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// skillsServer is a streamable HTTP server of the skills extension that
// speaks 2025-11-25 through the handshake and 2026-07-28 statelessly. It
// serves the files in files, lists entry (on two pages, the second empty,
// to exercise the cursor) and records every request.
type skillsServer struct {
	declare bool           // declare the extension
	entry   map[string]any // the listed entry
	files   map[string]string

	mu       sync.Mutex
	methods  []string
	headers  []http.Header
	metas    []json.RawMessage
	listArgs []map[string]json.RawMessage
}

func (s *skillsServer) record(method string, h http.Header, params map[string]json.RawMessage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.methods = append(s.methods, method)
	s.headers = append(s.headers, h.Clone())
	s.metas = append(s.metas, params["_meta"])
	if method == "skills/list" {
		s.listArgs = append(s.listArgs, params)
	}
}

func (s *skillsServer) count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.methods {
		if m == method {
			n++
		}
	}
	return n
}

func (s *skillsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	var req struct {
		ID     json.RawMessage            `json:"id"`
		Method string                     `json:"method"`
		Params map[string]json.RawMessage `json:"params"`
	}
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.record(req.Method, r.Header, req.Params)
	if len(req.ID) == 0 {
		w.WriteHeader(http.StatusAccepted)
		return
	}
	caps := map[string]any{"resources": map[string]any{}}
	if s.declare {
		caps["extensions"] = map[string]any{mcpclient.SkillsExtension: map[string]any{}}
	}
	var result any
	switch req.Method {
	case "initialize":
		result = map[string]any{"protocolVersion": "2025-11-25", "capabilities": caps,
			"serverInfo": map[string]any{"name": "skills", "version": "1"}}
	case "server/discover":
		result = map[string]any{"supportedVersions": []string{"2026-07-28"}, "capabilities": caps,
			"serverInfo": map[string]any{"name": "skills", "version": "1"}, "resultType": "complete", "ttlMs": 0, "cacheScope": "private"}
	case "skills/list":
		page := map[string]any{"skills": []any{s.entry}, "nextCursor": "page-2", "resultType": "complete", "ttlMs": 0, "cacheScope": "private"}
		if string(req.Params["cursor"]) == `"page-2"` {
			page = map[string]any{"skills": []any{}, "resultType": "complete", "ttlMs": 0, "cacheScope": "private"}
		}
		result = page
	case "skills/get":
		result = map[string]any{"skill": s.entry, "resultType": "complete", "ttlMs": 0, "cacheScope": "private"}
	case "resources/read":
		var uri string
		_ = json.Unmarshal(req.Params["uri"], &uri)
		result = map[string]any{"contents": []any{map[string]any{"uri": uri, "mimeType": "text/markdown", "text": s.files[uri]}},
			"resultType": "complete", "ttlMs": 0, "cacheScope": "private"}
	default:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"error":{"code":-32601,"message":"no %s"}}`, req.ID, req.Method)
		return
	}
	b, _ := json.Marshal(result)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Mcp-Session-Id", "skills-1")
	fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, b)
}

// newSkillsServer serves the pdf-processing skill, whose served files are
// files (the listed entry describes skillBody and formsBody).
func newSkillsServer(t *testing.T, files map[string]string) (*skillsServer, string) {
	s := &skillsServer{
		declare: true,
		entry: map[string]any{
			"uri": skillURI,
			"frontmatter": map[string]any{"name": "pdf-processing", "description": "Extract, fill, and assemble PDF documents",
				"metadata": map[string]any{"version": 2}},
			"resources": []any{
				map[string]any{"uri": skillURI, "digest": digestOf(skillBody), "size": len(skillBody)},
				map[string]any{"uri": formsURI, "digest": digestOf(formsBody), "size": len(formsBody)},
			},
		},
		files: files,
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts.URL
}

func TestSkillsListAndLoad(t *testing.T) {
	for _, version := range []string{"2025-11-25", "2026-07-28"} {
		t.Run(version, func(t *testing.T) {
			srv, url := newSkillsServer(t, map[string]string{skillURI: skillBody, formsURI: formsBody})
			c := connect(t, mcpclient.Config{Name: "skills", ProtocolVersion: version, Transport: &mcpclient.HTTP{URL: url}})

			skills, err := c.ListSkills(testCtx(t))
			require.NoError(t, err)
			require.Len(t, skills, 1)
			sk := skills[0]
			assert.Equal(t, "pdf-processing", sk.Name())
			assert.False(t, sk.Dynamic)
			assert.Equal(t, []mcpclient.SkillFile{
				{URI: skillURI, Digest: digestOf(skillBody), Size: int64(len(skillBody))},
				{URI: formsURI, Digest: digestOf(formsBody), Size: int64(len(formsBody))},
			}, sk.Files)
			assert.Equal(t, 2, srv.count("skills/list"), "both pages fetched")
			assert.Zero(t, srv.count("resources/read"), "listing reads no skill file")

			got, err := c.GetSkill(testCtx(t), skillURI)
			require.NoError(t, err)
			assert.Equal(t, sk, got)
			assert.Zero(t, srv.count("resources/read"), "getting an entry reads no skill file")

			md, err := c.LoadSkill(testCtx(t), sk)
			require.NoError(t, err)
			assert.Equal(t, skillBody, string(md))
			forms, err := c.ReadSkillFile(testCtx(t), sk, formsURI)
			require.NoError(t, err)
			assert.Equal(t, formsBody, string(forms))

			srv.mu.Lock()
			defer srv.mu.Unlock()
			for i, m := range srv.methods {
				if !strings.HasPrefix(m, "skills/") || version != "2026-07-28" {
					continue
				}
				// The extension's requests carry what every 2026-07-28
				// request carries.
				assert.Equal(t, m, srv.headers[i].Get("Mcp-Method"), m)
				assert.Equal(t, version, srv.headers[i].Get("Mcp-Protocol-Version"), m)
				var meta map[string]any
				require.NoError(t, json.Unmarshal(srv.metas[i], &meta), m)
				assert.Equal(t, version, meta[mcp.MetaKeyProtocolVersion], m)
				assert.Contains(t, meta, mcp.MetaKeyClientCapabilities, m)
			}
			assert.NotContains(t, srv.listArgs[0], "cursor")
			assert.JSONEq(t, `"page-2"`, string(srv.listArgs[1]["cursor"]))
		})
	}
}

func TestSkillFilesAreVerified(t *testing.T) {
	sameSize := strings.Replace(skillBody, "Skill body.", "Evil body!!", 1)
	require.Len(t, sameSize, len(skillBody))
	cases := map[string]struct {
		files map[string]string
		read  string // the file read; SKILL.md goes through LoadSkill
		want  string // in the error
	}{
		"digest":            {files: map[string]string{skillURI: sameSize}, read: skillURI, want: "digest"},
		"size":              {files: map[string]string{skillURI: skillBody + "more\n"}, read: skillURI, want: "bytes, the entry says"},
		"supporting digest": {files: map[string]string{formsURI: "Supporting content?\n"}, read: formsURI, want: "digest"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, url := newSkillsServer(t, tc.files)
			c := connect(t, mcpclient.Config{Name: "skills", Transport: &mcpclient.HTTP{URL: url}})
			skills, err := c.ListSkills(testCtx(t))
			require.NoError(t, err)
			var data []byte
			if tc.read == skillURI {
				data, err = c.LoadSkill(testCtx(t), skills[0])
			} else {
				data, err = c.ReadSkillFile(testCtx(t), skills[0], tc.read)
			}
			require.ErrorIs(t, err, mcpclient.ErrSkillVerification)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), tc.read)
			assert.Nil(t, data, "unverified content is never handed out")
		})
	}
}

func TestSkillFrontmatterMustMatchTheEntry(t *testing.T) {
	for name, body := range map[string]string{
		"changed field": strings.Replace(skillBody, "Extract, fill, and assemble PDF documents", "Exfiltrate credentials", 1),
		"added field":   strings.Replace(skillBody, "---\n\n", "allowed-tools: Bash\n---\n\n", 1),
		"nested field":  strings.Replace(skillBody, "version: 2", "version: 3", 1),
		"none":          "Skill body.\n",
	} {
		t.Run(name, func(t *testing.T) {
			srv, url := newSkillsServer(t, map[string]string{skillURI: body})
			// The entry carries the digest and size of what is served: only
			// the frontmatter comparison can catch the change.
			files := srv.entry["resources"].([]any)
			files[0] = map[string]any{"uri": skillURI, "digest": digestOf(body), "size": len(body)}
			c := connect(t, mcpclient.Config{Name: "skills", Transport: &mcpclient.HTTP{URL: url}})
			skills, err := c.ListSkills(testCtx(t))
			require.NoError(t, err)
			data, err := c.LoadSkill(testCtx(t), skills[0])
			require.ErrorIs(t, err, mcpclient.ErrSkillVerification)
			assert.Contains(t, err.Error(), "frontmatter")
			assert.Nil(t, data)
		})
	}
}

func TestSkillUnlistedFileIsNotRead(t *testing.T) {
	srv, url := newSkillsServer(t, map[string]string{skillURI: skillBody})
	c := connect(t, mcpclient.Config{Name: "skills", Transport: &mcpclient.HTTP{URL: url}})
	skills, err := c.ListSkills(testCtx(t))
	require.NoError(t, err)
	_, err = c.ReadSkillFile(testCtx(t), skills[0], "skill://pdf-processing/scripts/run.sh")
	require.ErrorIs(t, err, mcpclient.ErrSkillVerification)
	assert.Zero(t, srv.count("resources/read"))
}

func TestDynamicSkillChecksFrontmatterOnly(t *testing.T) {
	generated := strings.Replace(skillBody, "Skill body.", "Generated today.", 1)
	srv, url := newSkillsServer(t, map[string]string{skillURI: generated})
	srv.entry["resources"] = "dynamic"
	c := connect(t, mcpclient.Config{Name: "skills", Transport: &mcpclient.HTTP{URL: url}})
	skills, err := c.ListSkills(testCtx(t))
	require.NoError(t, err)
	require.True(t, skills[0].Dynamic)
	md, err := c.LoadSkill(testCtx(t), skills[0])
	require.NoError(t, err)
	assert.Equal(t, generated, string(md))

	srv.files[skillURI] = strings.Replace(generated, "name: pdf-processing", "name: other", 1)
	_, err = c.LoadSkill(testCtx(t), skills[0])
	require.ErrorIs(t, err, mcpclient.ErrSkillVerification)
}

func TestSkillEntryWithoutResourcesIsRefused(t *testing.T) {
	srv, url := newSkillsServer(t, map[string]string{skillURI: skillBody})
	delete(srv.entry, "resources")
	c := connect(t, mcpclient.Config{Name: "skills", Transport: &mcpclient.HTTP{URL: url}})
	_, err := c.ListSkills(testCtx(t))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "neither a file list nor")
}

func TestSkillsNeedTheServersDeclaration(t *testing.T) {
	srv, url := newSkillsServer(t, nil)
	srv.declare = false
	c := connect(t, mcpclient.Config{Name: "skills", Transport: &mcpclient.HTTP{URL: url}})
	_, err := c.ListSkills(testCtx(t))
	require.ErrorIs(t, err, mcpclient.ErrNotSupported)
	_, err = c.GetSkill(testCtx(t), skillURI)
	require.ErrorIs(t, err, mcpclient.ErrNotSupported)
	assert.Zero(t, srv.count("skills/list")+srv.count("skills/get"))
}
