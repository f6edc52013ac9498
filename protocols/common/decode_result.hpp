#pragma once
// Result of feeding wire bytes to a codec: a frame and the bytes it used,
// a request for more bytes, or a typed error. Codecs never throw on wire input.

#include <cstddef>
#include <optional>
#include <system_error>
#include <utility>

namespace citygate::proto {

template <typename Frame>
class decode_result {
public:
    // A complete frame that used `consumed` bytes from the start of the input
    // (preamble and skipped garbage included).
    static decode_result ok(Frame frame, std::size_t consumed)
    {
        decode_result r;
        r.frame_ = std::move(frame);
        r.consumed_ = consumed;
        return r;
    }

    // The input is a valid prefix; call again with more bytes.
    static decode_result need_more()
    {
        decode_result r;
        r.need_more_ = true;
        return r;
    }

    // The input is rejected. `consumed` bytes may be dropped before the
    // caller resynchronises (at least 1 when the caller must advance).
    static decode_result fail(std::error_code error, std::size_t consumed)
    {
        decode_result r;
        r.error_ = error;
        r.consumed_ = consumed;
        return r;
    }

    bool has_frame() const noexcept { return frame_.has_value(); }
    bool needs_more() const noexcept { return need_more_; }
    bool failed() const noexcept { return static_cast<bool>(error_); }

    const Frame& frame() const& { return *frame_; }
    Frame&& frame() && { return std::move(*frame_); }
    std::error_code error() const noexcept { return error_; }
    std::size_t consumed() const noexcept { return consumed_; }

    // Complete frames the codec skipped before this result because they
    // reply to another request, e.g. Modbus TCP replies with an earlier
    // transaction id. 0 unless the codec sets it.
    std::size_t skipped() const noexcept { return skipped_; }
    void set_skipped(std::size_t frames) noexcept { skipped_ = frames; }

private:
    decode_result() = default;

    std::optional<Frame> frame_;
    std::error_code error_;
    std::size_t consumed_ = 0;
    std::size_t skipped_ = 0;
    bool need_more_ = false;
};

} // namespace citygate::proto
