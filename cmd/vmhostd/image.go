package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"vmhost/images"
)

// image runs `vmhostd image build NAME`.
func image(args []string) int {
	if len(args) == 0 || args[0] != "build" {
		fmt.Fprintln(os.Stderr, "Usage: vmhostd image build NAME --config FILE")
		return 2
	}
	fs, path := commandFlags("image build", "vmhostd image build NAME --config FILE")
	name, rest := "", args[1:]
	if len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
		name, rest = rest[0], rest[1:]
	}
	if code := parseFlags(fs, rest); code >= 0 {
		return code
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	}
	if name == "" {
		fs.Usage()
		return 2
	}
	cfg, ok := loadConfig(*path)
	if !ok {
		return 1
	}
	spec, ok := cfg.Images[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "vmhostd: image %q is not defined in %s\n", name, cfg.Path)
		return 1
	}
	store := images.NewStore(filepath.Join(cfg.DataDir, "images"), slog.New(slog.NewTextHandler(os.Stderr, nil)))
	img, err := store.Ensure(context.Background(), name, spec, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmhostd: %v\n", err)
		return 1
	}
	fmt.Printf("image %s ready in %s\n", img.Name, img.Rootfs)
	return 0
}
