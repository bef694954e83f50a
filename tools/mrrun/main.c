/*
 * mrrun: run a whole MapReduce job from one command, on this machine or
 * over ssh on a list of hosts.  The plan (plan.c) makes the tasks; the
 * slot threads (schedule.c) run them, each task a set of processes
 * (task.c) here or on a host's worker (hosts.c, remote.c), retried when
 * they fail; the output is committed whole or not at all (commit.c).
 */
#include <string.h>

#include "cli.h"
#include "mrrun.h"
#include "remote.h"

int
main(int argc, char *argv[])
{
	struct mrrun *r;

	if (argc > 1 && strcmp(argv[1], "--worker") == 0) {
		cli_init("mrrun");
		return worker_main(argc, argv);
	}
	r = mrrun_new();
	options_parse(r, argc, argv);
	options_check(r);
	if (r->dry_run) {
		dry_run(r);
		return 0;
	}
	inputs_check(r);
	job_start(r);
	run_job(r);
	return job_finish(r);
}
