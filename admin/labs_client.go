package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"vmhost/labs"
)

// Classes lists the classes of the configuration.
func (c *Client) Classes(ctx context.Context) ([]labs.ClassInfo, error) {
	var out []labs.ClassInfo
	return out, c.do(ctx, http.MethodGet, "/v1/labs", nil, &out)
}

// LabStatus returns the status of every guest of class (of one student
// when student is not empty).
func (c *Client) LabStatus(ctx context.Context, class, student string) ([]labs.Status, error) {
	var out []labs.Status
	return out, c.do(ctx, http.MethodGet, labPath(class, "", url.Values{"student": {student}}), nil, &out)
}

// labPath is the API path of class's op, with the query's non-empty
// values.
func labPath(class, op string, q url.Values) string {
	p := "/v1/labs/" + url.PathEscape(class)
	if op != "" {
		p += "/" + op
	}
	for k, v := range q {
		if len(v) == 0 || v[0] == "" {
			delete(q, k)
		}
	}
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

// LabOp runs op (provision, check, reset, stop or rm) on class (one
// student's guests when student is not empty), confirmed when confirm is
// set, and returns its report; progress gets its lines.
func (c *Client) LabOp(ctx context.Context, op, class, student string, confirm bool, progress io.Writer) (labs.Report, error) {
	q := url.Values{"student": {student}}
	if confirm {
		q.Set("confirm", "yes")
	}
	resp, err := c.send(ctx, http.MethodPost, labPath(class, op, q), nil, nil)
	if err != nil {
		return labs.Report{}, err
	}
	return readLabEvents(resp, progress, nil)
}

// Distribute writes data as the file path in every guest of class.
func (c *Client) Distribute(ctx context.Context, class, student, path string, data []byte, progress io.Writer) (labs.Report, error) {
	p := labPath(class, "distribute", url.Values{"student": {student}, "path": {path}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://vmhostd"+p, bytes.NewReader(data))
	if err != nil {
		return labs.Report{}, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := c.http.Do(req)
	if err != nil {
		return labs.Report{}, c.dialError(err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return labs.Report{}, readAPIError(resp)
	}
	return readLabEvents(resp, progress, nil)
}

// Collect copies path out of every guest of class into sink.
func (c *Client) Collect(ctx context.Context, class, student, path string, sink labs.Sink, progress io.Writer) (labs.Report, error) {
	resp, err := c.send(ctx, http.MethodPost, labPath(class, "collect", url.Values{"student": {student}, "path": {path}}), nil, nil)
	if err != nil {
		return labs.Report{}, err
	}
	return readLabEvents(resp, progress, sink)
}

// readLabEvents reads the events of a class operation's answer up to its
// report: progress lines to progress, files to sink. A file sink refuses
// fails its result in the report.
func readLabEvents(resp *http.Response, progress io.Writer, sink labs.Sink) (labs.Report, error) {
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	refused := map[string]error{}
	for {
		var ev LabEvent
		if err := dec.Decode(&ev); err != nil {
			return labs.Report{}, fmt.Errorf("reading the answer of vmhostd: %w", err)
		}
		switch {
		case ev.Error != "":
			return labs.Report{}, errors.New(ev.Error)
		case ev.Report != nil:
			ev.Report.Refused(refused)
			return *ev.Report, nil
		case ev.File != nil && sink != nil:
			if err := sink.Put(ev.File.Name, ev.File.Data); err != nil {
				refused[ev.File.Name] = err
			}
		case ev.Progress != "":
			fmt.Fprintln(progress, ev.Progress)
		}
	}
}
