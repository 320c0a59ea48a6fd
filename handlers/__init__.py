"""What happens on each input, one sub-package per edge: slack/, zoom/, schedule/ (README "Architecture")."""
