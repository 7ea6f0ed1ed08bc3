package insights

import (
	"fmt"
	"strings"
)

// SyntaxError is a query that does not compile. StartOffset and EndOffset are the byte offsets
// of the fault in the query, as QueryCompileErrorLocation's startCharOffset and endCharOffset.
type SyntaxError struct {
	Message     string
	Line        int
	Position    int
	StartOffset int
	EndOffset   int
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s at line %d and position %d", e.Message, e.Line, e.Position)
}

// errorAt returns a SyntaxError at byte offset start of src (lines and positions count from 1).
func errorAt(src string, start, end int, format string, args ...any) *SyntaxError {
	start = min(max(start, 0), len(src))
	end = min(max(end, start), len(src))
	line := 1 + strings.Count(src[:start], "\n")
	col := start - strings.LastIndex(src[:start], "\n")
	return &SyntaxError{Message: fmt.Sprintf(format, args...), Line: line, Position: col, StartOffset: start, EndOffset: end}
}
