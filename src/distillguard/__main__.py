"""``python -m distillguard`` runs the command-line interface."""

from distillguard.cli import main

raise SystemExit(main())
