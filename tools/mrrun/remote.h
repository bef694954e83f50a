/*
 * remote.h: the worker that mrrun starts on each remote host over ssh
 * ("mrrun --worker"), which runs the controller's tasks there and moves
 * files for it, speaking the messages of wire.h on its stdin and stdout.
 */
#ifndef MR_REMOTE_H
#define MR_REMOTE_H

/*
 * worker_main() is the whole worker: mrrun's main() hands it its
 * arguments when the first one is "--worker".  It makes a scratch
 * directory (under --remote-dir=DIR, $TMPDIR or /tmp), answers the
 * controller until the channel ends, then kills its tasks, removes the
 * scratch directory and returns or exits: 0 when the controller closed
 * the channel, 1 on a broken channel or a bad message, 2 on a usage
 * error.
 */
int worker_main(int argc, char *argv[]);

#endif
