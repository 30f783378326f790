// Package allocator is Agora's resource allocator: a pure, deterministic
// weighted DRF (Dominant Resource Fairness) allocator in the manner of the
// Mesos hierarchical allocator.
//
// It keeps the agents' total, allocated and free resources, the frameworks
// and the roles they subscribe to, role weights, suppression and refusal
// filters, and turns them into offers: (state, now) → []Offer. Roles are
// served lowest weighted dominant share first, and within a role the
// framework with the lowest dominant share; an offer holds all of an agent's
// free unreserved resources plus those reserved for the offer's role.
// Offered resources count as allocated until the master recovers them.
//
// What it is not: it runs no goroutines or timers, does no I/O or logging
// and never reads the clock (every time-dependent call takes now); the
// master's event loop owns it and calls it from one goroutine, so it is not
// safe for concurrent use. It does not validate frameworks, track offers or
// tasks, strip allocation_info for non-MULTI_ROLE frameworks, convert
// reservations to the pre-refinement format, or gate GPUs by capability:
// those are the master's. Not implemented (yet): quota, hierarchical roles
// (a role "a/b" is just a name), revocable-resource policy, shared-resource
// multiplexing (shared resources are offered exclusively), and converting
// allocated resources in place after RESERVE/UNRESERVE/CREATE operations or
// an agent's new total (for now the master removes and re-adds the agent
// with its used resources).
//
// Internally resources live in a compact form (res): fixed slots for cpus,
// mem, disk and gpus in milli-units, small sorted slices for other kinds;
// []*mesos.Resource is built only for the offers produced.
package allocator
