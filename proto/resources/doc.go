// Package resources is Mesos resource arithmetic on []*mesos.Resource.
//
// It parses the agent's --resources and --attributes flags (text or JSON),
// validates resource lists, adds, subtracts and compares them the way Mesos
// does, and renders them for logs (String) and for state.json (Flatten).
// The master uses it to check that what a framework accepts is contained in
// what it was offered and to keep its books, the agent to describe its total,
// and the SDK to match offers.
//
// Semantics follow Mesos 1.x:
//   - Two items combine only when they share an identity: name, value type,
//     reservation stack (each entry's type, role, principal and labels;
//     the legacy role/reservation fields count as a one-entry stack),
//     allocation role, disk identity (source and persistence ID, not the
//     volume), revocability, sharedness and resource provider.
//   - Scalars are added and subtracted in fixed point with three decimals,
//     so 0.1+0.2 is exactly 0.3 and repeated bookkeeping never drifts.
//   - Ranges are coalesced; subtraction splits them. Sets are unions.
//   - Shared resources, persistent volumes and MOUNT disks are indivisible:
//     they are never merged or split, only added, removed and counted whole.
//   - Nothing goes negative: subtracting more than is there leaves nothing,
//     and items that reach zero disappear.
//   - Arithmetic ignores empty items and structurally invalid ones (no name,
//     type and value disagreeing, negative or non-finite scalars, inverted
//     ranges), as Mesos's Resources does; Contains refuses them instead, so
//     an invalid request is never "contained" in an offer.
//
// Every function is pure: inputs are never modified and outputs never share
// memory with inputs, so callers may publish results in immutable snapshots.
//
// It is not an allocator and knows nothing of offers, roles' weights or
// quotas, and it does not convert between the pre- and post-reservation-
// refinement wire formats for particular frameworks; that is the API layer's
// job.
package resources
