package mcpclient

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/mark3labs/mcp-go/mcp"
	"go.yaml.in/yaml/v3"
)

// Skills over MCP (the io.modelcontextprotocol/skills extension, SEP-2640):
// a server publishes skills, each a SKILL.md and supporting files served as
// resources, with a manifest of every file's SHA-256 digest and size.
// ListSkills and GetSkill fetch entries and read no file; LoadSkill and
// ReadSkillFile read one file each, when the program needs it, and hand it
// out only once it matches its entry.

// SkillsExtension is the extension identifier a server declares in
// capabilities.extensions when it serves skills.
const SkillsExtension = "io.modelcontextprotocol/skills"

// OpSkills is the operation of skills/list, skills/get and the verified
// reads of skill files, as reported in *Error.
const OpSkills Op = "skills"

// ErrSkillVerification is wrapped by the errors of LoadSkill and
// ReadSkillFile when a file is not what the skill's entry describes (its
// digest, its size, SKILL.md's frontmatter) or is not listed in it. The
// content is never returned then.
var ErrSkillVerification = errors.New("mcpclient: skill file does not match its entry")

// Skill is a skill's entry from skills/list or skills/get.
type Skill struct {
	// URI is the resource URI of the skill's SKILL.md.
	URI string
	// Frontmatter is SKILL.md's YAML frontmatter as the server rendered it
	// in JSON ("name" and "description" at least).
	Frontmatter map[string]any
	// Files lists every file of the skill, SKILL.md included, with the
	// digest and size its content must have. Nil when Dynamic.
	Files []SkillFile
	// Dynamic reports a skill whose content is generated: the server
	// publishes no digests, so only SKILL.md's frontmatter is checked.
	Dynamic bool
}

// SkillFile is one file of a [Skill].
type SkillFile struct {
	URI string `json:"uri"`
	// Digest is "sha256:" and the lowercase hex SHA-256 of the raw bytes.
	Digest string `json:"digest"`
	// Size is the length of the raw bytes.
	Size int64 `json:"size"`
}

// Name returns the skill's name from its frontmatter.
func (s Skill) Name() string {
	name, _ := s.Frontmatter["name"].(string)
	return name
}

// skillEntry is the wire form of a skill entry; resources is an array of
// files or the string "dynamic".
type skillEntry struct {
	URI         string          `json:"uri"`
	Frontmatter map[string]any  `json:"frontmatter"`
	Resources   json.RawMessage `json:"resources"`
}

func (e skillEntry) skill() (Skill, error) {
	s := Skill{URI: e.URI, Frontmatter: e.Frontmatter}
	if e.URI == "" {
		return s, errors.New("skill entry without uri")
	}
	if string(bytes.TrimSpace(e.Resources)) == `"dynamic"` {
		s.Dynamic = true
		return s, nil
	}
	// An entry without resources, or with anything but an array or
	// "dynamic", is invalid and may not be loaded.
	if err := json.Unmarshal(e.Resources, &s.Files); err != nil || s.Files == nil {
		return s, fmt.Errorf("skill %s: resources is neither a file list nor \"dynamic\"", e.URI)
	}
	return s, nil
}

// ListSkills lists the skills the server publishes, following nextCursor
// to the last page. It reads no skill file. A server that does not declare
// [SkillsExtension] gets no request: the error wraps [ErrNotSupported].
func (c *Client) ListSkills(ctx context.Context) ([]Skill, error) {
	var out []Skill
	err := c.do(ctx, OpSkills, "", func(ctx context.Context, s *session) error {
		if !servesSkills(s) {
			return ErrNotSupported
		}
		ctx = withListBudget(ctx, c.cfg.MaxMessageBytes)
		out = out[:0]
		seen := map[mcp.Cursor]bool{}
		var cursor mcp.Cursor
		for {
			var page struct {
				Skills     []skillEntry `json:"skills"`
				NextCursor mcp.Cursor   `json:"nextCursor"`
			}
			if err := skillsRequest(ctx, s, "skills/list", map[string]any{}, cursor, &page); err != nil {
				return err
			}
			for _, e := range page.Skills {
				sk, err := e.skill()
				if err != nil {
					return fmt.Errorf("skills/list: %w", err)
				}
				out = append(out, sk)
			}
			if page.NextCursor == "" {
				return nil
			}
			if seen[page.NextCursor] {
				return fmt.Errorf("skills/list: the server repeated the cursor %q", page.NextCursor)
			}
			seen[page.NextCursor], cursor = true, page.NextCursor
		}
	})
	return out, err
}

// GetSkill fetches the entry of the skill whose SKILL.md is at uri, listed
// or not. It reads no skill file.
func (c *Client) GetSkill(ctx context.Context, uri string) (Skill, error) {
	var out Skill
	err := c.do(ctx, OpSkills, "", func(ctx context.Context, s *session) error {
		if !servesSkills(s) {
			return ErrNotSupported
		}
		var res struct {
			Skill skillEntry `json:"skill"`
		}
		if err := skillsRequest(ctx, s, "skills/get", map[string]any{"uri": uri}, "", &res); err != nil {
			return err
		}
		var err error
		if out, err = res.Skill.skill(); err != nil {
			return fmt.Errorf("skills/get: %w", err)
		}
		return nil
	})
	return out, err
}

// LoadSkill reads the skill's SKILL.md and returns it once it matches the
// entry: its digest and size (unless the skill is Dynamic) and, field by
// field, its YAML frontmatter. Any mismatch is an error wrapping
// [ErrSkillVerification], and nothing of the content is returned.
func (c *Client) LoadSkill(ctx context.Context, skill Skill) ([]byte, error) {
	return c.ReadSkillFile(ctx, skill, skill.URI)
}

// ReadSkillFile reads the file of skill at uri and returns its bytes once
// they match the file's entry in skill.Files (for SKILL.md, see
// [Client.LoadSkill]). A file not listed in the entry is not read: the
// error wraps [ErrSkillVerification].
func (c *Client) ReadSkillFile(ctx context.Context, skill Skill, uri string) ([]byte, error) {
	var file *SkillFile
	if !skill.Dynamic {
		i := slices.IndexFunc(skill.Files, func(f SkillFile) bool { return f.URI == uri })
		if i < 0 {
			return nil, c.newError(OpSkills, "", fmt.Errorf("%w: %s is not listed in skill %s", ErrSkillVerification, uri, skill.URI), nil)
		}
		file = &skill.Files[i]
	}
	contents, err := c.ReadResource(ctx, uri)
	if err != nil {
		return nil, err
	}
	data, err := resourceBytes(contents)
	if err == nil && file != nil {
		err = checkDigest(data, *file)
	}
	if err == nil && uri == skill.URI {
		err = checkFrontmatter(data, skill.Frontmatter)
	}
	if err != nil {
		return nil, c.newError(OpSkills, "", fmt.Errorf("%w: %s: %w", ErrSkillVerification, uri, err), nil)
	}
	return data, nil
}

// servesSkills reports whether the server declared the extension.
func servesSkills(s *session) bool {
	_, ok := s.info.Capabilities.Extensions[SkillsExtension]
	return ok
}

// resourceBytes returns the raw bytes of a file read as one resource
// content: the text as UTF-8, or the decoded blob.
func resourceBytes(contents []mcp.ResourceContents) ([]byte, error) {
	if len(contents) != 1 {
		return nil, fmt.Errorf("the read returned %d contents, want 1", len(contents))
	}
	switch c := contents[0].(type) {
	case mcp.TextResourceContents:
		return []byte(c.Text), nil
	case mcp.BlobResourceContents:
		return base64.StdEncoding.DecodeString(c.Blob)
	}
	return nil, fmt.Errorf("unexpected resource contents %T", contents[0])
}

// checkDigest compares data with the file's size and digest.
func checkDigest(data []byte, f SkillFile) error {
	if int64(len(data)) != f.Size {
		return fmt.Errorf("%d bytes, the entry says %d", len(data), f.Size)
	}
	sum := sha256.Sum256(data)
	if got := "sha256:" + hex.EncodeToString(sum[:]); got != f.Digest {
		return fmt.Errorf("digest %s, the entry says %s", got, f.Digest)
	}
	return nil
}

// checkFrontmatter compares the YAML frontmatter at the head of a SKILL.md
// with the entry's, field by field, as JSON values.
func checkFrontmatter(skillMD []byte, want map[string]any) error {
	raw, ok := frontmatterOf(skillMD)
	if !ok {
		return errors.New("SKILL.md does not begin with YAML frontmatter")
	}
	var fm map[string]any
	if err := yaml.Unmarshal(raw, &fm); err != nil {
		return fmt.Errorf("SKILL.md frontmatter: %w", err)
	}
	got, err := asJSON(fm)
	if err != nil {
		return fmt.Errorf("SKILL.md frontmatter: %w", err)
	}
	wantJSON, err := asJSON(want)
	if err != nil {
		return err
	}
	for k := range mergeKeys(got, wantJSON) {
		if !reflect.DeepEqual(got[k], wantJSON[k]) {
			return fmt.Errorf("frontmatter field %q differs from the entry", k)
		}
	}
	return nil
}

// frontmatterOf returns the text between a leading "---" line and the
// next "---" line.
func frontmatterOf(md []byte) ([]byte, bool) {
	md = bytes.ReplaceAll(md, []byte("\r\n"), []byte("\n"))
	rest, ok := bytes.CutPrefix(md, []byte("---\n"))
	if !ok {
		return nil, false
	}
	if fm, _, ok := bytes.Cut(rest, []byte("\n---\n")); ok {
		return append(fm, '\n'), true
	}
	if fm, ok := bytes.CutSuffix(rest, []byte("\n---")); ok {
		return fm, true
	}
	return nil, false
}

// asJSON normalizes v to what encoding/json decodes (float64 numbers,
// map[string]any objects).
func asJSON(v map[string]any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = json.Unmarshal(b, &out)
	return out, err
}

func mergeKeys(a, b map[string]any) map[string]bool {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}

// skillsRequest sends an extension method. mcp-go's client has no call for
// methods it does not know, so the request goes out as a resources/list
// (which carries the session, the 2026-07-28 _meta and headers, tracing
// and OAuth the same way) and the tap renames it on the wire; the raw
// result is read from the tap's sink.
func skillsRequest(ctx context.Context, s *session, method string, params map[string]any, cursor mcp.Cursor, out any) error {
	ctx, sink := withSink(ctx, string(mcp.MethodResourcesList))
	ctx = withRename(ctx, string(mcp.MethodResourcesList), method, params)
	req := mcp.ListResourcesRequest{}
	req.Params.Cursor = cursor
	if _, err := s.mc.ListResourcesByPage(ctx, req); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	raw := sink.get()
	if raw == nil {
		return fmt.Errorf("%s: no result", method)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	return nil
}
