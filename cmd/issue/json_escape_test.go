package issue

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/cmd/internal/cmdtest"
)

// `issue --json` used to pass a raw U+202E (right-to-left override) through
// (#17 item 10): it is escaped, the text otherwise intact.
func TestIssueJSONEscapesBidi(t *testing.T) {
	t.Parallel()
	e := cmdtest.New(t)
	subject := "PROJ-7 fix \u202eexe.txt\u202c and caf\u00e9"
	src, _ := cmdtest.SourceRepo(t, subject)
	cmdtest.AddRepo(t, e.Paths, "alpha", src, nil)
	code, out, errOut := e.Exec(newIssue, "", "PROJ-7", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if strings.ContainsRune(out, '\u202e') || !strings.Contains(out, `\u202e`) || !strings.Contains(out, "café") {
		t.Fatalf("output %q", out)
	}
	var got []struct{ Subject string }
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 || got[0].Subject != subject {
		t.Fatalf("decoded %+v %v", got, err)
	}
}
