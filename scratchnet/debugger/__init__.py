"""What the debugger needs besides the math: the tape of phases, cell explanations, the gradient check,
statistics, names. Generic over operations: each operation's own phases and words live with its math."""
