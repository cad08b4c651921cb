/*
 * server/cli/progress.h - progress lines on stderr for long `recprep` runs.
 *
 * A reporter thread wakes every 250 ms (at most 4 lines a second), reads the
 * core's load counters (rp_load_progress: atomics the loading thread writes)
 * and the current phase the command set, and writes one line:
 *   loading data.csv: 1.2M rows, 45% of 80 MB, 3.1 s
 *   writing train.txt (1 of 5), 7.9 s
 * On a terminal each line overwrites the previous one (\r, erase to the end
 * of the line) and the line is erased at the end, so the terminal is left as
 * it was; elsewhere (--progress on a pipe or file) every report is one
 * newline-terminated line, and the run ends with a "done" line.
 *
 * Thread-safety: cli_progress_phase may be called from the command's thread
 * while the reporter runs; start and stop from the same thread only.
 */
#ifndef RECPREP_CLI_PROGRESS_H
#define RECPREP_CLI_PROGRESS_H

#include <pthread.h>
#include <stdint.h>

#include "recprep/load.h"

/* Whether to report: the default follows isatty(stderr). */
typedef enum cli_progress_mode {
    CLI_PROGRESS_AUTO = 0,
    CLI_PROGRESS_ON,
    CLI_PROGRESS_OFF
} cli_progress_mode;

typedef struct cli_progress {
    int tty, running;
    rp_load_progress load; /* pass to rp_load_*_progress */
    pthread_t thread;
    pthread_mutex_t lock; /* guards the fields below */
    pthread_cond_t wake;
    int stop;
    char phase[160]; /* "" while loading: the load counters speak */
    char label[160]; /* what is loaded, for the lines */
    uint64_t t0_ns;
    int drawn; /* tty: a line is on screen */
} cli_progress;

/* Decide from mode and stderr, set up p (always: the load counters are
 * used even when nothing is reported) and start the reporter when enabled.
 * label names the run ("data.csv"); phase is the first phase (NULL: the
 * load counters). A reporter thread that cannot start reports nothing; the
 * run goes on. */
void cli_progress_start(cli_progress *p, cli_progress_mode mode, const char *label,
                        const char *phase);

/* The next phase of the run ("computing temporal", "writing train.txt (1 of
 * 5)"); NULL or "" returns to the load counters. Thread-safe. */
void cli_progress_phase(cli_progress *p, const char *phase);

/* Stop the reporter: on a terminal erase the line; otherwise, when ok, write
 * a last "done" line. Idempotent. */
void cli_progress_stop(cli_progress *p, int ok);

#endif
