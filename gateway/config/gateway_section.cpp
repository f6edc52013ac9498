// [gateway] and [store].

#include "gateway/config/sections.hpp"
#include "gateway/config/values.hpp"

namespace citygate::config::detail {

namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

constexpr const char* id_rule = "1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'";

} // namespace

void read_gateway(table_reader& root, gateway_config& out)
{
    const auto* table = root.read_table("gateway");
    if (!table) {
        if (!root.contains("gateway"))
            root.sink().error(root.line(), "gateway.id", "missing required key; add a [gateway] section with id = \"...\"");
        return;
    }
    table_reader reader(*table, "gateway", root.sink());

    if (reader.read_string("id", out.id, presence::required) && !is_valid_id(out.id))
        reader.sink().error(reader.line_of("id"), "gateway.id",
                            std::string("expected ") + id_rule + ", got " + quote_text(out.id));

    reader.read_string("location", out.location);
    reader.read_path("data_dir", out.data_dir, presence::non_empty);
    reader.read_path("key_file", out.key_file, presence::non_empty);
    reader.read_path("control_socket", out.control_socket, presence::non_empty);
    reader.read_choice("log_level", out.log_level, {"trace", "debug", "info", "warn", "error", "critical", "off"});

    reader.report_unknown_keys();
}

void read_store(table_reader& root, store_config& out)
{
    const auto* table = root.read_table("store");
    if (!table)
        return;
    table_reader reader(*table, "store", root.sink());

    // Below 1 MiB the SQLite file overhead leaves almost no room for readings.
    reader.read_size("max_bytes", out.max_bytes, 1ull << 20);
    reader.read_duration("max_age", out.max_age, hours(1), hours(24 * 3650));
    reader.read_number("batch_max_readings", out.batch_max_readings, 1, 10000);
    // The upper limit is the largest pack a receiver decodes (senml::max_pack_size).
    reader.read_size("batch_max_bytes", out.batch_max_bytes, 1024, 4ull << 20);
    reader.read_duration("flush_interval", out.flush_interval, milliseconds(1), hours(1));

    reader.report_unknown_keys();
}

} // namespace citygate::config::detail
