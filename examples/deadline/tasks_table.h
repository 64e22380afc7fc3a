// SPDX-License-Identifier: Apache-2.0
// The deadline daemon's scxppctl table "tasks": live registrations through the control surface.
#ifndef SCXPP_EXAMPLES_DEADLINE_TASKS_TABLE_H_
#define SCXPP_EXAMPLES_DEADLINE_TASKS_TABLE_H_

#include "registry.h"
#include "scxpp/control.h"

namespace scxpp::deadline {

// Table "tasks": `scxppctl table deadline tasks add TID runtime_us=2000 period_us=10000`
// runs the same admission test as --task and the socket, and `remove TID` releases.
// `reg` must outlive the table's handler.
TableDesc TasksTable(Registry& reg);

}  // namespace scxpp::deadline

#endif  // SCXPP_EXAMPLES_DEADLINE_TASKS_TABLE_H_
