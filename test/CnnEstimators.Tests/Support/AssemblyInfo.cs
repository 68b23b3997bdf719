// Tests read libtorch's process-wide generator (a run must leave it as it was; models of classes outside the zoo are
// seeded through it), and building any network draws from it; on 2 cores parallel runs gain nothing and would make
// those tests depend on scheduling.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
