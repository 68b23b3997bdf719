// Training runs seed libtorch's process-wide generator; on 2 cores parallel runs gain nothing and would
// make the determinism tests depend on scheduling.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
