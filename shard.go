package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// autoShard resolves --shard auto from the environment of a Kubernetes indexed Job
// (JOB_COMPLETION_INDEX, with the count from --shards, which Kubernetes does not expose) or of
// a Slurm job array (SLURM_ARRAY_TASK_ID less SLURM_ARRAY_TASK_MIN, with the count from
// --shards, else SLURM_ARRAY_TASK_COUNT, else SLURM_ARRAY_TASK_MAX-SLURM_ARRAY_TASK_MIN+1).
// shards is --shards, 0 when not given.
func autoShard(shards int, getenv func(string) string) (shard, n int, err error) {
	num := func(name string) (int, bool, error) {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			return 0, false, nil
		}
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 {
			return 0, false, fmt.Errorf("--shard auto: %s=%q is not a number", name, v)
		}
		return i, true, nil
	}
	check := func(shard, n int, from string) (int, int, error) {
		if shard >= n {
			return 0, 0, fmt.Errorf("--shard auto: index %d (from %s) is not below the count %d",
				shard, from, n)
		}
		return shard, n, nil
	}
	if idx, ok, err := num("JOB_COMPLETION_INDEX"); err != nil || ok {
		if err != nil {
			return 0, 0, err
		}
		if shards < 1 {
			return 0, 0, errors.New("--shard auto: JOB_COMPLETION_INDEX is set; give the " +
				"Job's completions as --shards N")
		}
		return check(idx, shards, "JOB_COMPLETION_INDEX")
	}
	id, ok, err := num("SLURM_ARRAY_TASK_ID")
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		return 0, 0, errors.New("--shard auto: neither JOB_COMPLETION_INDEX (a Kubernetes " +
			"indexed Job) nor SLURM_ARRAY_TASK_ID (a Slurm job array) is set; give --shard I/N")
	}
	lo, _, err := num("SLURM_ARRAY_TASK_MIN")
	if err != nil {
		return 0, 0, err
	}
	n = shards
	if n < 1 {
		count, ok, err := num("SLURM_ARRAY_TASK_COUNT")
		if err != nil {
			return 0, 0, err
		}
		hi, okHi, err := num("SLURM_ARRAY_TASK_MAX")
		switch {
		case err != nil:
			return 0, 0, err
		case ok:
			n = count
		case okHi:
			n = hi - lo + 1
		default:
			return 0, 0, errors.New("--shard auto: SLURM_ARRAY_TASK_ID is set but not " +
				"SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX; give --shards N")
		}
	}
	switch {
	case n < 1:
		return 0, 0, fmt.Errorf("--shard auto: %d shards", n)
	case id < lo:
		return 0, 0, fmt.Errorf("--shard auto: SLURM_ARRAY_TASK_ID %d is below "+
			"SLURM_ARRAY_TASK_MIN %d", id, lo)
	}
	return check(id-lo, n, "SLURM_ARRAY_TASK_ID")
}
