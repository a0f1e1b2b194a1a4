"""python -m modelpeek [--no-browser] [FILE...]: show files until Ctrl+C."""

import sys

import modelpeek


def main(argv):
    browse = "--no-browser" not in argv
    files = [a for a in argv if a != "--no-browser"]
    if any(a.startswith("-") for a in files):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        host, port = modelpeek.start(files or None, browse=browse)
        print("modelpeek: serving %s" % modelpeek.url((host, port)), flush=True)
        modelpeek.wait()
    except KeyboardInterrupt:
        modelpeek.stop()
    return 0


def console():
    """Entry point of the modelpeek-py script."""
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    console()
