#pragma once
// Human-readable rendering of the control socket results (shapes in
// gateway/control/protocol.hpp). Missing or mistyped fields print as "-"
// so a newer or older daemon never crashes the CLI.

#include <nlohmann/json.hpp>

#include <ostream>

namespace citygate::cli {

void render_status(const nlohmann::json& result, std::ostream& out);
void render_devices(const nlohmann::json& result, std::ostream& out);
void render_read(const nlohmann::json& result, std::ostream& out);
void render_write(const nlohmann::json& result, std::ostream& out);
void render_queue(const nlohmann::json& result, std::ostream& out);

} // namespace citygate::cli
