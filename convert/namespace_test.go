package convert

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuildNamespaces(t *testing.T) {
	set, err := Convert([]ServerTools{
		{Server: "git hub", Tools: []Tool{{Name: "create_issue", Description: "Open an issue."}, {Name: "create issue"}, {Name: "list.prs"}}},
		{Server: "git_hub", Tools: []Tool{{Name: "create_issue"}}},
		{Server: "empty"},
		{Server: "wiki", Tools: []Tool{{Name: strings.Repeat("x", 80)}}},
	}, Options{})
	require.NoError(t, err)
	ns := BuildNamespaces(set, NamespaceOptions{Descriptions: map[string]string{"wiki": "  The team wiki.\x00 "}})
	require.Len(t, ns.Namespaces, 3, "a server with no tools gets no namespace")

	// "git_hub" needed no repair, so it keeps the name; "git hub" gets a suffix.
	assert.Equal(t, "git_hub", ns.Namespaces[1].Name)
	assert.Regexp(t, `^git_hub_[0-9a-f]{8}$`, ns.Namespaces[0].Name)
	assert.Equal(t, "Tools of the git hub server.", ns.Namespaces[0].Description)
	assert.Equal(t, "The team wiki.", ns.Namespaces[2].Description)

	gh := ns.Namespaces[0]
	require.Len(t, gh.Tools, 3)
	assert.Equal(t, "create_issue", gh.Tools[0].Name, "no server prefix inside a namespace")
	assert.Regexp(t, `^create_issue_[0-9a-f]{8}$`, gh.Tools[1].Name)
	assert.Equal(t, "list_prs", gh.Tools[2].Name)
	assert.Equal(t, "Open an issue.", gh.Tools[0].Description)
	assert.Len(t, ns.Namespaces[2].Tools[0].Name, MaxNameLength)

	for _, n := range ns.Namespaces {
		assert.Regexp(t, `^[a-zA-Z0-9_-]{1,64}$`, n.Name)
		for _, ft := range n.Tools {
			server, tool, ok := ns.Lookup(n.Name, ft.Name)
			require.True(t, ok)
			assert.Equal(t, n.Server, server)
			assert.Equal(t, ft.Tool, tool)
		}
	}
	server, tool, ok := ns.Lookup("git_hub", "create_issue")
	assert.True(t, ok)
	assert.Equal(t, [2]string{"git_hub", "create_issue"}, [2]string{server, tool})
	_, _, ok = ns.Lookup("git_hub", "list_prs")
	assert.False(t, ok, "a name is looked up only in its own namespace")
	_, _, ok = ns.Lookup("", "create_issue")
	assert.False(t, ok)
	_, _, ok = ns.Lookup("GIT_HUB", "create_issue")
	assert.False(t, ok, "exact match only")
	_, ok = (*NamespaceSet)(nil).Tool("a", "b")
	assert.False(t, ok)
}

func TestBuildNamespacesStableAndCapped(t *testing.T) {
	servers := []ServerTools{{Server: "a_b", Tools: []Tool{{Name: "t"}}}, {Server: "b", Tools: []Tool{{Name: "t"}}}}
	set, err := Convert(servers, Options{})
	require.NoError(t, err)
	before := BuildNamespaces(set, NamespaceOptions{})
	set2, err := Convert(append([]ServerTools{{Server: "a b", Tools: []Tool{{Name: "t"}}}}, servers...), Options{})
	require.NoError(t, err)
	after := BuildNamespaces(set2, NamespaceOptions{MaxDescriptionBytes: 30, Descriptions: map[string]string{"b": strings.Repeat("long ", 20)}})
	assert.Equal(t, before.Namespaces[0].Name, after.Namespaces[1].Name, "adding a server renames no other")
	assert.Equal(t, "a_b"+suffix("\x00a b", 0), after.Namespaces[0].Name)
	assert.LessOrEqual(t, len(after.Namespaces[2].Description), 30)
	require.Len(t, after.Diagnostics, 1)
	assert.Equal(t, "b", after.Diagnostics[0].Server)
	assert.Equal(t, `server "b" description: namespace description cut to 30 bytes`, after.Diagnostics[0].String())
}
