//! Report requests and files: queue, claim, progress, completion.
