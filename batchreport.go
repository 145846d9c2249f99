package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/dialua/dialua/runtime"
)

// reportFailuresShown is how many failing records the report table names per check.
const reportFailuresShown = 5

// printCheckReport writes the table of the checks of sum to w: per check, the records that
// passed and failed it, and the first failing keys with their details.
func printCheckReport(w io.Writer, sum runtime.BatchSummary) {
	if len(sum.Checks) == 0 {
		fmt.Fprintln(w, "no checks recorded")
		return
	}
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tPASSED\tFAILED\tFAILED RECORDS")
	for _, c := range sum.Checks {
		var failed []string
		for i, f := range c.Failures {
			if i == reportFailuresShown {
				failed = append(failed, fmt.Sprintf("and %d more", len(c.Failures)-i))
				break
			}
			s := string(f.Key)
			if f.Detail != "" {
				s += " (" + oneLine(f.Detail) + ")"
			}
			failed = append(failed, s)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", oneLine(c.Name), c.Passed, c.Failed,
			strings.Join(failed, ", "))
	}
	tw.Flush()
	for line := range strings.Lines(table.String()) { // no padding after the last cell
		fmt.Fprintln(w, strings.TrimRight(line, " \n"))
	}
}

// oneLine keeps a name or detail on its row of the table.
func oneLine(s string) string {
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", " ").Replace(s)
}

// checkReport is the JSON of --report-json.
type checkReport struct {
	Output  string               `json:"output"`
	Records int                  `json:"records"`
	Passed  bool                 `json:"passed"`
	Checks  []runtime.CheckCount `json:"checks"`
}

// writeCheckReport writes the JSON report of sum, a run writing to output, to the file at
// path, with every string masked by redact.
func writeCheckReport(path, output string, sum runtime.BatchSummary,
	redact func(string) string) error {
	checks := sum.Checks
	if checks == nil {
		checks = []runtime.CheckCount{}
	}
	data, err := json.MarshalIndent(checkReport{Output: output, Records: sum.Records,
		Passed: !sum.AnyCheckFailed(), Checks: checks}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(redact(string(data))+"\n"), 0o644); err != nil {
		return fmt.Errorf("--report-json: %w", err)
	}
	return nil
}
