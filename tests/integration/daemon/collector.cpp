// The independent subscriber of the whole-gateway tests.

#include "tests/integration/daemon/harness.hpp"

#include "gateway/crypto/envelope.hpp"

#include <mqtt/async_client.h>

#include <algorithm>

namespace citygate::itest {

collector::collector(std::uint16_t broker_port, const std::string& topic_prefix, const crypto::key_set& keys)
    : prefix_(topic_prefix), keys_(keys)
{
    const auto uri = "tcp://127.0.0.1:" + std::to_string(broker_port);
    client_ = std::make_unique<mqtt::async_client>(uri, "itest-collector-" + std::to_string(::getpid()));
    client_->set_message_callback([this](mqtt::const_message_ptr message) {
        on_message(message->get_topic(), message->to_string());
    });

    // A persistent session keeps the subscription and queues QoS 1 messages
    // in the broker while this client is away.
    mqtt::connect_options options;
    options.set_mqtt_version(MQTTVERSION_3_1_1);
    options.set_clean_session(false);
    options.set_keep_alive_interval(5);
    options.set_automatic_reconnect(std::chrono::milliseconds(200), std::chrono::seconds(1));
    client_->connect(options)->wait();
    client_->subscribe(prefix_ + "/#", 1)->wait();
}

collector::~collector()
{
    try {
        client_->disconnect()->wait_for(std::chrono::seconds(2));
    } catch (const mqtt::exception&) {
        // The broker may already be gone at the end of a test.
    }
}

void collector::on_message(const std::string& topic, const std::string& payload)
{
    std::lock_guard lock(mutex_);
    if (topic == prefix_ + "/status") {
        status_.push_back(payload);
    } else if (topic == prefix_ + "/health") {
        health_.push_back(payload);
    } else {
        received_envelope envelope;
        envelope.topic = topic;
        envelope.bytes.assign(payload.begin(), payload.end());

        crypto::opened_envelope opened;
        std::error_code error;
        std::string senml_error;
        const auto decode = [&] {
            return opened.header.content == crypto::content_type::senml_cbor
                       ? senml::decode_cbor(opened.plaintext, envelope.records, senml_error)
                       : senml::decode_json(opened.plaintext, envelope.records, senml_error);
        };
        if (!crypto::open(keys_, envelope.bytes, opened, error) || !decode()) {
            ++rejected_;
        } else {
            envelope.sequence = opened.header.sequence;
            envelope.event_lane = (opened.header.flags & 1) != 0;
            envelopes_.push_back(std::move(envelope));
        }
    }
    changed_.notify_all();
}

std::vector<received_envelope> collector::envelopes() const
{
    std::lock_guard lock(mutex_);
    return envelopes_;
}

std::vector<std::string> collector::status_payloads() const
{
    std::lock_guard lock(mutex_);
    return status_;
}

std::vector<std::string> collector::health_payloads() const
{
    std::lock_guard lock(mutex_);
    return health_;
}

std::uint64_t collector::rejected() const
{
    std::lock_guard lock(mutex_);
    return rejected_;
}

bool collector::wait_until(const std::function<bool(const collector&)>& done, std::chrono::milliseconds timeout) const
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done(*this)) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, std::chrono::milliseconds(100));
    }
    return true;
}

namespace {

// urn:citygate:{gateway}:{device}:{metric}
std::pair<std::string, std::string> split_name(const std::string& name)
{
    const auto metric_at = name.rfind(':');
    const auto device_at = name.rfind(':', metric_at == 0 ? 0 : metric_at - 1);
    if (metric_at == std::string::npos || device_at == std::string::npos)
        return {};
    return {name.substr(device_at + 1, metric_at - device_at - 1), name.substr(metric_at + 1)};
}

} // namespace

delivery_report analyse(const std::vector<received_envelope>& envelopes)
{
    delivery_report report;
    std::map<std::uint64_t, const received_envelope*> by_sequence;

    for (const auto& envelope : envelopes) {
        auto [it, inserted] = by_sequence.emplace(envelope.sequence, &envelope);
        if (!inserted) {
            ++(it->second->bytes == envelope.bytes ? report.duplicates : report.conflicting);
            continue;
        }
        for (const auto& record : envelope.records) {
            const auto [device, metric] = split_name(record.name);
            report.readings.emplace(envelope.event_lane, device, record.time_s);
            if (metric == "volume" && std::holds_alternative<double>(record.value)) {
                auto& last = report.last_volume[device];
                last = std::max(last, std::get<double>(record.value));
            }
        }
    }
    report.envelopes = by_sequence.size();
    return report;
}

} // namespace citygate::itest
